#pragma once
// The engine contract: prepare an image once, then answer many prompts on it.
//
//   auto engine = xs::builtin_engines().create("classic", {});   // core/builtin/builtin_engines.h
//   xs::CancelToken cancel;
//   std::shared_ptr<xs::PreparedImage> prepared = engine->prepare(image, cancel);   // expensive, once
//   xs::SegmentRequest req;
//   req.task = xs::Task::Interactive;
//   req.points.push_back({120.f, 80.f, true});
//   xs::SegmentResult res = engine->segment(*prepared, req, cancel);                // cheap, many times
//
// Unsupported requests throw xs::Error with a message saying why (engine->check(req) tells the same
// without running). A fired CancelToken makes prepare/segment throw xs::Cancelled at the next stage
// boundary. Engines are used from one worker thread at a time; PreparedImage objects are immutable
// after prepare() and may be shared (cached) across requests.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/io/image.h"
#include "core/mask/mask.h"
#include "core/util/error.h"
#include "core/util/timer.h"

namespace xs {

struct Inspection;  // core/engine/inspection.h: what the model saw and produced (for researchers)

enum class Task {
    Interactive,     // points / boxes / scribbles / mask -> one mask
    VisualGrounded,  // visual prompts -> every instance like them
    Referring,       // "the dog on the left" -> one mask
    Reasoning,       // a question whose answer is an object -> one mask
    Generic,         // a category list -> instances of each (instance / semantic / panoptic)
    OpenVocabulary,  // like Generic, with arbitrary category names
    GroundedCaption, // generate a caption whose phrases are linked to masks
    Chat,            // a free-form question about the image -> generated text (no mask)
};
const char* task_name(Task task);                       // "interactive", "vgd", "referring", ...
std::optional<Task> task_from_name(const std::string& name);
std::vector<Task> all_tasks();

enum class PromptKind { Point, NegativePoint, Box, Scribble, NegativeScribble, Mask, Text };
const char* prompt_kind_name(PromptKind kind);

struct PointF {
    float x = 0, y = 0;  // image pixel coordinates (pixel centres at +0.5)
};

struct PointPrompt {
    float x = 0, y = 0;
    bool positive = true;
};

struct BoxPrompt {
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // corners in image pixels, x0 < x1, y0 < y1
};

struct ScribblePrompt {
    std::vector<PointF> points;  // a polyline
    bool positive = true;
    float radius = 0;            // 0: the engine's default stroke radius
};

struct SegmentRequest {
    Task task = Task::Interactive;
    std::vector<PointPrompt> points;
    std::vector<BoxPrompt> boxes;
    std::vector<ScribblePrompt> scribbles;
    std::optional<Mask> input_mask;     // previous result to refine (Interactive), or a mask prompt
    std::vector<Mask> mask_prompts;     // visual prompts given as masks (VisualGrounded, Interactive)
    std::string text;                   // Referring / Reasoning expression, Chat question
    std::vector<std::string> categories;  // Generic / OpenVocabulary
    // Post-processing knobs (engines may ignore them where they do not apply).
    float score_threshold = 0.5f;
    float mask_threshold = 0.5f;
    // Generic / OpenVocabulary: the output rule for this request, "instance", "panoptic" or "semantic"
    // (empty: the engine's own setting). `xsam-cli evaluate` asks for each in turn.
    std::string generic_mode;
    // Ask the engine to fill SegmentResult::inspection (engines that cannot leave it empty).
    bool inspect = false;

    std::vector<PromptKind> prompt_kinds() const;  // which kinds of prompt this request carries
};

struct InstanceResult {
    Mask mask;            // at the original image size
    float score = 1.0f;   // in [0, 1]
    std::string label;    // category name / phrase, may be empty
    int prompt_index = -1;  // which category / phrase / visual prompt produced it, -1 if n/a
};

struct SegmentResult {
    std::vector<InstanceResult> instances;  // best first
    std::string text;                       // generated text (GroundedCaption, Chat), else empty
    std::vector<StageTiming> timings;       // per-stage milliseconds
    std::shared_ptr<const Inspection> inspection;  // when the request asked for it and the engine can
};

// What an engine can do: for each task, the prompt kinds it accepts.
struct Capabilities {
    std::map<Task, std::vector<PromptKind>> tasks;
    bool supports(Task task) const;
    bool supports(Task task, PromptKind kind) const;
};

// Checks a request against capabilities and basic geometry (points inside the image, non-empty
// boxes, mask sizes). Returns an empty string when fine, else a message saying what is wrong.
std::string validate_request(const Capabilities& caps, const SegmentRequest& request,
                             int image_width, int image_height, const std::string& engine_name);

class CancelToken {
public:
    void cancel() { flag_.store(true, std::memory_order_relaxed); }
    bool cancelled() const { return flag_.load(std::memory_order_relaxed); }
    void reset() { flag_.store(false, std::memory_order_relaxed); }
    void throw_if_cancelled() const {
        if (cancelled()) throw Cancelled();
    }

private:
    std::atomic<bool> flag_{false};
};

// Everything an engine computed from the image alone. Immutable once returned by prepare().
class PreparedImage {
public:
    virtual ~PreparedImage() = default;
    int width = 0;   // original image size
    int height = 0;
    std::vector<StageTiming> timings;  // how long prepare() took, per stage
    virtual size_t memory_bytes() const = 0;  // for cache budgeting
};

class Engine {
public:
    virtual ~Engine() = default;
    virtual std::string name() const = 0;     // registry name, e.g. "classic", "xsam"
    virtual std::string device() const = 0;   // "cpu", "cuda:0", ...
    virtual Capabilities capabilities() const = 0;

    // Throws xs::Error on images it cannot handle, xs::Cancelled when cancelled.
    virtual std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken& cancel) = 0;
    // Throws xs::Error for unsupported or invalid requests (message from validate_request), or a
    // PreparedImage made by another engine; xs::Cancelled when cancelled.
    virtual SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& request,
                                  const CancelToken& cancel) = 0;

    // "" if segment() would accept the request on an image of this size, else why not.
    std::string check(const SegmentRequest& request, int image_width, int image_height) const {
        return validate_request(capabilities(), request, image_width, image_height, name());
    }

    // Re-runs only the post-processing of an answer this engine inspected (SegmentResult::inspection)
    // at other thresholds: no model pass. Engines that make no inspections throw xs::Error (this
    // default).
    virtual std::vector<InstanceResult> postprocess(const Inspection& inspection, float score_threshold,
                                                    float mask_threshold) const;
};

// Engine options are plain key/value strings: "model" (folder), "device" ("cpu"/"cuda"),
// "dtype" ("fp32"/"bf16"/"fp16"), "threads", ...
using EngineOptions = std::map<std::string, std::string>;
using EngineFactory = std::function<std::unique_ptr<Engine>(const EngineOptions&)>;

// One option an engine takes (an EngineOptions key), described so that a settings page can be made
// from it without knowing the engine.
struct EngineOption {
    enum class Type { Folder, Choice, Integer };
    struct Choice {
        std::string value;
        std::string label;
        bool available = true;  // false: shown but not selectable here, with why_not
        std::string why_not;
    };
    std::string key;
    Type type = Type::Choice;
    std::string label;          // "Model folder"
    std::string help;           // one or two sentences (a tooltip)
    std::string default_value;
    std::vector<Choice> choices;  // Type::Choice
    int min = 0, max = 0;         // Type::Integer
    std::string zero_means;       // Type::Integer: what 0 stands for, e.g. "all cores"
};

// What a model folder holds, in words.
struct FolderReport {
    bool ok = false;
    std::vector<std::string> problems;  // what is missing or does not match (when not ok)
    std::string summary;                // what was found (when ok)
};

struct EngineDescription {
    std::string name;     // the registry name
    std::string title;    // for people
    std::string summary;  // one line: what it is and does
    std::vector<EngineOption> options;
    // The Folder option that must be set before the engine can load ("": the engine needs none),
    // what such a folder holds, and the check of one (a few seconds at most: run it off the GUI
    // thread).
    std::string model_folder_option;
    std::string folder_help;
    std::function<FolderReport(const std::string& dir)> check_folder;
};

class EngineRegistry {
public:
    void add(EngineDescription description, EngineFactory factory);
    // An engine that takes no option.
    void add(const std::string& name, const std::string& summary, EngineFactory factory);
    std::vector<std::string> names() const;
    std::string description(const std::string& name) const;  // the summary line; "" for an unknown name
    // Throws xs::Error for an unknown name (listing the known ones).
    const EngineDescription& describe(const std::string& name) const;
    // Throws xs::Error for an unknown name (listing the known ones) or a failing factory.
    std::unique_ptr<Engine> create(const std::string& name, const EngineOptions& options) const;

private:
    struct Entry {
        EngineDescription description;
        EngineFactory factory;
    };
    std::string unknown(const std::string& name) const;
    std::map<std::string, Entry> entries_;
};

}  // namespace xs
