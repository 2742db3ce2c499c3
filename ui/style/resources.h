#pragma once
#include <QString>

namespace hs::ui {
// The project version (CMake's project(VERSION)), for the About box and --version.
QString hierscopeVersion();
// Registers the icons compiled into this static library (Q_INIT_RESOURCE); safe to call repeatedly.
void initResources();
} // namespace hs::ui
