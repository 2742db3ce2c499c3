#pragma once
namespace hs::ui {
// Registers the icons compiled into this static library (Q_INIT_RESOURCE); safe to call repeatedly.
void initResources();
} // namespace hs::ui
