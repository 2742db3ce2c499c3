#include "style/resources.h"

#include <QtGlobal>

// Q_INIT_RESOURCE must be used outside any namespace.
static void initHierscopeQrc() {
    Q_INIT_RESOURCE(hierscope);
}

namespace hs::ui {
QString hierscopeVersion() {
    return QStringLiteral(HIERSCOPE_VERSION);
}

void initResources() {
    static const bool done = (initHierscopeQrc(), true);
    (void)done;
}
} // namespace hs::ui
