// See xsam_test_engines.h. This translation unit includes LibTorch (through the X-SAM engine header)
// and no Qt.
#include "tests/ui/xsam_test_engines.h"

#include <mutex>

#include "core/builtin/builtin_engines.h"
#include "core/xsam/engine/xsam_engine.h"

namespace xs::test {

namespace {

std::mutex g_mutex;
std::string g_forced_caption;
std::atomic<size_t> g_sized_bytes{1000};

class CountingXsam : public Engine {
public:
    explicit CountingXsam(std::unique_ptr<Engine> inner) : inner_(std::move(inner)) {}
    std::string name() const override { return inner_->name(); }
    std::string device() const override { return inner_->device(); }
    Capabilities capabilities() const override { return inner_->capabilities(); }
    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken& cancel) override {
        engine_calls().prepares++;
        return inner_->prepare(image, cancel);
    }
    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& request, const CancelToken& cancel) override {
        engine_calls().segments++;
        std::string forced;
        {
            std::lock_guard<std::mutex> lock(g_mutex);
            forced = g_forced_caption;
        }
        if (request.task == Task::GroundedCaption && !forced.empty()) {
            auto* x = dynamic_cast<xsam::XsamEngine*>(inner_.get());
            if (x) {
                return x->caption_teacher_forced(prepared, forced, cancel);
            }
        }
        return inner_->segment(prepared, request, cancel);
    }
    std::vector<InstanceResult> postprocess(const Inspection& inspection, float score, float mask) const override {
        return inner_->postprocess(inspection, score, mask);
    }

private:
    std::unique_ptr<Engine> inner_;
};

class SizedPrepared : public PreparedImage {
public:
    size_t bytes = 0;
    size_t memory_bytes() const override { return bytes; }
};

class SizedEngine : public Engine {
public:
    std::string name() const override { return "sized"; }
    std::string device() const override { return "cpu"; }
    Capabilities capabilities() const override {
        Capabilities c;
        c.tasks[Task::Interactive] = {PromptKind::Point};
        return c;
    }
    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken&) override {
        engine_calls().prepares++;
        auto p = std::make_shared<SizedPrepared>();
        p->width = image.width;
        p->height = image.height;
        p->bytes = g_sized_bytes.load();
        return p;
    }
    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest&, const CancelToken&) override {
        engine_calls().segments++;
        SegmentResult r;
        InstanceResult i;
        i.mask = Mask(prepared.width, prepared.height);
        i.mask.set(0, 0, true);
        r.instances.push_back(std::move(i));
        return r;
    }
};

}  // namespace

EngineCalls& engine_calls() {
    static EngineCalls calls;
    return calls;
}

void set_forced_caption(const std::string& answer) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_forced_caption = answer;
}

void set_sized_bytes(size_t bytes) { g_sized_bytes = bytes; }

const EngineRegistry& test_registry() {
    static const EngineRegistry r = [] {
        EngineRegistry reg;
        reg.add("classic", "the built-in classic engine",
                [](const EngineOptions& o) { return builtin_engines().create("classic", o); });
        // X-SAM as the build describes it (its settings page), counting calls.
        reg.add(builtin_engines().describe("xsam"), [](const EngineOptions& o) -> std::unique_ptr<Engine> {
            return std::make_unique<CountingXsam>(builtin_engines().create("xsam", o));
        });
        reg.add("sized", "prepared images of a set size", [](const EngineOptions&) -> std::unique_ptr<Engine> {
            return std::make_unique<SizedEngine>();
        });
        return reg;
    }();
    return r;
}

}  // namespace xs::test
