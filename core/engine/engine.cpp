#include "core/engine/engine.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace xs {

namespace {

struct TaskName {
    Task task;
    const char* name;
};

// The names used on the command line, in project files and in messages.
const TaskName kTaskNames[] = {
    {Task::Interactive, "interactive"},   {Task::VisualGrounded, "vgd"},
    {Task::Referring, "referring"},       {Task::Reasoning, "reasoning"},
    {Task::Generic, "generic"},           {Task::OpenVocabulary, "ovseg"},
    {Task::GroundedCaption, "gcg"},       {Task::Chat, "chat"},
};

std::string format_point(float x, float y) {
    std::ostringstream s;
    s << "(" << x << ", " << y << ")";
    return s.str();
}

bool inside_image(float x, float y, int w, int h) {
    return std::isfinite(x) && std::isfinite(y) && x >= 0.f && y >= 0.f && x < float(w) && y < float(h);
}

std::string join_kinds(const std::vector<PromptKind>& kinds) {
    std::string out;
    for (PromptKind k : kinds) {
        if (!out.empty()) out += ", ";
        out += prompt_kind_name(k);
    }
    return out.empty() ? "none" : out;
}

}  // namespace

const char* task_name(Task task) {
    for (const TaskName& t : kTaskNames) {
        if (t.task == task) return t.name;
    }
    return "unknown";
}

std::optional<Task> task_from_name(const std::string& name) {
    for (const TaskName& t : kTaskNames) {
        if (name == t.name) return t.task;
    }
    // Long aliases accepted from users.
    if (name == "visual-grounded" || name == "visual_grounded") return Task::VisualGrounded;
    if (name == "open-vocabulary" || name == "open_vocabulary") return Task::OpenVocabulary;
    if (name == "grounded-caption" || name == "grounded_caption" || name == "caption") return Task::GroundedCaption;
    return std::nullopt;
}

std::vector<Task> all_tasks() {
    std::vector<Task> out;
    for (const TaskName& t : kTaskNames) out.push_back(t.task);
    return out;
}

const char* prompt_kind_name(PromptKind kind) {
    switch (kind) {
        case PromptKind::Point: return "point";
        case PromptKind::NegativePoint: return "negative point";
        case PromptKind::Box: return "box";
        case PromptKind::Scribble: return "scribble";
        case PromptKind::NegativeScribble: return "negative scribble";
        case PromptKind::Mask: return "mask";
        case PromptKind::Text: return "text";
    }
    return "unknown";
}

std::vector<PromptKind> SegmentRequest::prompt_kinds() const {
    std::vector<PromptKind> kinds;
    auto add = [&](PromptKind k) {
        if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    };
    for (const PointPrompt& p : points) add(p.positive ? PromptKind::Point : PromptKind::NegativePoint);
    if (!boxes.empty()) add(PromptKind::Box);
    for (const ScribblePrompt& s : scribbles) add(s.positive ? PromptKind::Scribble : PromptKind::NegativeScribble);
    if (input_mask || !mask_prompts.empty()) add(PromptKind::Mask);
    if (!text.empty() || !categories.empty()) add(PromptKind::Text);
    return kinds;
}

bool Capabilities::supports(Task task) const { return tasks.count(task) != 0; }

bool Capabilities::supports(Task task, PromptKind kind) const {
    auto it = tasks.find(task);
    if (it == tasks.end()) return false;
    return std::find(it->second.begin(), it->second.end(), kind) != it->second.end();
}

std::string validate_request(const Capabilities& caps, const SegmentRequest& request, int image_width,
                             int image_height, const std::string& engine_name) {
    const std::string who = "engine '" + engine_name + "'";
    if (!caps.supports(request.task)) {
        std::string known;
        for (const auto& entry : caps.tasks) {
            if (!known.empty()) known += ", ";
            known += task_name(entry.first);
        }
        return who + " does not support the task '" + task_name(request.task) + "' (it supports: " +
               (known.empty() ? "nothing" : known) + ")";
    }
    const std::vector<PromptKind> kinds = request.prompt_kinds();
    for (PromptKind k : kinds) {
        if (!caps.supports(request.task, k)) {
            return who + " does not accept " + prompt_kind_name(k) + " prompts for the task '" +
                   task_name(request.task) + "' (it accepts: " + join_kinds(caps.tasks.at(request.task)) + ")";
        }
    }
    if (image_width <= 0 || image_height <= 0) return "the image is empty";

    const std::string size = std::to_string(image_width) + "x" + std::to_string(image_height);
    for (size_t i = 0; i < request.points.size(); ++i) {
        const PointPrompt& p = request.points[i];
        if (!inside_image(p.x, p.y, image_width, image_height)) {
            return "point " + std::to_string(i + 1) + " " + format_point(p.x, p.y) + " lies outside the " + size +
                   " image";
        }
    }
    for (size_t i = 0; i < request.boxes.size(); ++i) {
        const BoxPrompt& b = request.boxes[i];
        const std::string name = "box " + std::to_string(i + 1) + " " + format_point(b.x0, b.y0) + "-" +
                                 format_point(b.x1, b.y1);
        if (!std::isfinite(b.x0) || !std::isfinite(b.y0) || !std::isfinite(b.x1) || !std::isfinite(b.y1))
            return name + " has a non-finite coordinate";
        if (b.x1 < b.x0 || b.y1 < b.y0) return name + " is inverted (expected x0 < x1 and y0 < y1)";
        if (b.x1 - b.x0 < 1.f || b.y1 - b.y0 < 1.f) return name + " is empty (less than one pixel wide or high)";
        if (b.x1 <= 0.f || b.y1 <= 0.f || b.x0 >= float(image_width) || b.y0 >= float(image_height))
            return name + " lies outside the " + size + " image";
    }
    for (size_t i = 0; i < request.scribbles.size(); ++i) {
        const ScribblePrompt& s = request.scribbles[i];
        const std::string name = std::string(s.positive ? "scribble " : "negative scribble ") + std::to_string(i + 1);
        if (s.points.empty()) return name + " has no points";
        if (!(s.radius >= 0.f) || !std::isfinite(s.radius)) return name + " has a negative or invalid radius";
        for (size_t j = 0; j < s.points.size(); ++j) {
            if (!inside_image(s.points[j].x, s.points[j].y, image_width, image_height)) {
                return name + " point " + std::to_string(j + 1) + " " + format_point(s.points[j].x, s.points[j].y) +
                       " lies outside the " + size + " image";
            }
        }
    }
    auto check_mask = [&](const Mask& m, const std::string& name) -> std::string {
        if (m.width() != image_width || m.height() != image_height) {
            return name + " is " + std::to_string(m.width()) + "x" + std::to_string(m.height()) +
                   ", expected the image size " + size;
        }
        return "";
    };
    if (request.input_mask) {
        std::string e = check_mask(*request.input_mask, "the input mask");
        if (!e.empty()) return e;
    }
    for (size_t i = 0; i < request.mask_prompts.size(); ++i) {
        std::string e = check_mask(request.mask_prompts[i], "mask prompt " + std::to_string(i + 1));
        if (!e.empty()) return e;
    }
    if (!(request.score_threshold >= 0.f && request.score_threshold <= 1.f))
        return "score_threshold must lie in [0, 1]";
    if (!(request.mask_threshold >= 0.f && request.mask_threshold <= 1.f))
        return "mask_threshold must lie in [0, 1]";

    // A request must say something: an interactive request needs at least one prompt. A grounded
    // caption is the one task asked without any prompt.
    if (kinds.empty() && request.task != Task::GroundedCaption) {
        return "the request for the task '" + std::string(task_name(request.task)) + "' carries no prompt";
    }
    return "";
}

std::vector<InstanceResult> Engine::postprocess(const Inspection&, float, float) const {
    throw Error("engine '" + name() + "' cannot re-run its post-processing (it makes no inspections)");
}

void EngineRegistry::add(EngineDescription description, EngineFactory factory) {
    const std::string name = description.name;
    entries_[name] = Entry{std::move(description), std::move(factory)};
}

void EngineRegistry::add(const std::string& name, const std::string& summary, EngineFactory factory) {
    EngineDescription d;
    d.name = name;
    d.title = name;
    d.summary = summary;
    add(std::move(d), std::move(factory));
}

std::vector<std::string> EngineRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.first);
    return out;
}

std::string EngineRegistry::description(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? std::string() : it->second.description.summary;
}

std::string EngineRegistry::unknown(const std::string& name) const {
    std::string known;
    for (const auto& e : entries_) {
        if (!known.empty()) known += ", ";
        known += e.first;
    }
    return "unknown engine '" + name + "' (this build has: " + (known.empty() ? "none" : known) + ")";
}

const EngineDescription& EngineRegistry::describe(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) throw Error(unknown(name));
    return it->second.description;
}

std::unique_ptr<Engine> EngineRegistry::create(const std::string& name, const EngineOptions& options) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) throw Error(unknown(name));
    std::unique_ptr<Engine> engine;
    try {
        engine = it->second.factory(options);
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("engine '" + name + "' could not be created: " + e.what());
    }
    if (!engine) throw Error("engine '" + name + "' could not be created");
    return engine;
}

}  // namespace xs
