#include "core/builtin/builtin_engines.h"

#include "core/classic/classic_engine.h"
#ifdef XS_HAVE_XSAM
#include "core/xsam/engine/xsam_engine_factory.h"
#endif

namespace xs {

const EngineRegistry& builtin_engines() {
    static const EngineRegistry registry = [] {
        EngineRegistry r;
        register_classic_engine(r);
#ifdef XS_HAVE_XSAM
        register_xsam_engine(r);
#endif
        return r;
    }();
    return registry;
}

int cuda_device_count() {
#ifdef XS_HAVE_XSAM
    return xsam_cuda_device_count();
#else
    return 0;
#endif
}

}  // namespace xs
