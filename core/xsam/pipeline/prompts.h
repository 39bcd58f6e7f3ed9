#pragma once
// What X-SAM is asked, and how visual prompts become region masks.
//
// Text: the question forms of the reference's dataset templates (X-SAM AAAI26_Archive,
// xsam/dataset/map_fns/*), one fixed template per task instead of a random choice, in xtuner's
// phi3_chat template. Scoring mode (every task but the grounded caption) appends the fixed answer and
// reads the <SEG> hidden state, as the reference evaluates; the caption is generated.
//
// A conversation is a list of pieces; each Text piece is tokenised on its own without special tokens
// (the reference encodes the chunks between <image>/<region> and the answer separately):
//   [BOS] "<|user|>\n" <image> "\n{question}<|end|>\n<|assistant|>\n" ... "{answer}<|end|>" "\n"
// The pieces up to and including <image> are the same for every question: that is the prefix whose
// key/value cache prepare() computes once per image.
//
// Visual prompts are rasterised on the SAM canvas (S x S, S = 1024, image scaled to (h', w') at its
// top-left): point = disc of radius 10, scribble = polyline of radius 5, box = filled rectangle, mask =
// nearest-neighbour resize (PIL NEAREST) of the image-size mask. A canvas pixel (c, r) belongs to a
// shape when its centre (c + 0.5, r + 0.5) does, coordinates mapped by (x * w'/w, y * h'/h); each
// non-empty shape keeps at least the pixel holding its anchor.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "core/mask/mask.h"
#include "core/xsam/tokenizer/tokenizer.h"

namespace xs::xsam {

// ---- text -----------------------------------------------------------------------------------------

inline constexpr const char* kImageToken = "<image>";
inline constexpr const char* kRegionToken = "<region>";
inline constexpr const char* kSegToken = "<SEG>";
inline constexpr const char* kPhraseStart = "<p>";
inline constexpr const char* kPhraseEnd = "</p>";
inline constexpr const char* kEndToken = "<|end|>";

struct Piece {
    enum Kind { Text, Image, Region, Bos } kind = Text;
    std::string text;  // Text only
};

struct Question {
    std::string question;  // without the image token
    std::string answer;    // teacher-forced answer ("" for the generated caption)
    int num_regions = 0;   // <region> placeholders in the question
    int num_phrases = 0;   // <p>...</p> spans in the question
};

// The reference's cleaning of category names (genseg_map_fn.tag_categories): drop "-merged", "-other",
// "-stuff", turn the remaining '-' into spaces, lower-case. Leading/trailing spaces are trimmed.
std::string clean_category(const std::string& name);

Question referring_question(const std::string& expression);  // expression lower-cased like refseg
Question reasoning_question(const std::string& question);
Question categories_question(const std::vector<std::string>& categories);  // generic and open-vocabulary
Question regions_question(int num_regions);                                  // interactive and VGD
Question caption_question();
// A free-form question about the image, answered by generation (xsam-cli --task chat). As the
// reference's imgconv_map_fn: "<image>" is taken out of the text and the rest stripped; the question
// goes into the template as it is (no <p>...</p>, no fixed answer). Throws xs::Error when it is empty
// or holds "<region>" (a chat has no visual prompt).
Question chat_question(const std::string& text);

// The pieces before the question: BOS, "<|user|>\n", <image>. Identical for every question.
std::vector<Piece> prefix_pieces();
// The pieces after the image: "\n{question}<|end|>\n<|assistant|>\n" split at <region>, then the
// answer with the template suffix "<|end|>" and the separator "\n" when `with_answer`.
std::vector<Piece> question_pieces(const Question& q, bool with_answer);
// Token ids of pieces as the reference's encode_fn builds them: BOS the tokenizer's, the image
// kImageTokenIndex, each region kRegionTokenIndex, each text piece encoded on its own.
std::vector<int64_t> encode_pieces(const Tokenizer& tokenizer, const std::vector<Piece>& pieces);

// ---- visual prompts --------------------------------------------------------------------------------

struct CanvasGeometry {
    int canvas = 1024;            // S
    int scaled_h = 0, scaled_w = 0;  // (h', w')
    int height = 0, width = 0;       // original image
    double sx() const { return double(scaled_w) / double(width); }
    double sy() const { return double(scaled_h) / double(height); }
};

inline constexpr float kPointRadius = 10.0f;     // canvas pixels
inline constexpr float kScribbleRadius = 5.0f;   // canvas pixels

// One binary region on the canvas: uint8 [S, S] (0/1) on the CPU, zero outside (h', w').
torch::Tensor rasterise_point(const CanvasGeometry& g, float x, float y, float radius = kPointRadius);
torch::Tensor rasterise_scribble(const CanvasGeometry& g, const ScribblePrompt& s);
torch::Tensor rasterise_box(const CanvasGeometry& g, const BoxPrompt& b);
torch::Tensor rasterise_mask(const CanvasGeometry& g, const Mask& m);

// The same shapes drawn on the original image grid (negative prompts are applied there): the radius
// is the canvas radius divided by the scale, so a negative click covers what a positive one would.
Mask image_disc(int width, int height, float x, float y, float radius);
Mask image_scribble(int width, int height, const std::vector<PointF>& points, float radius);

// The visual prompts of a request as regions. Interactive: one region, the union of every positive
// prompt (input_mask only when nothing else is given). VisualGrounded: one region per prompt, in the
// order points, boxes, scribbles, masks (each a class of its own). Throws xs::Error when a region
// comes out empty or there is none.
struct RegionSet {
    std::vector<torch::Tensor> masks;  // uint8 [S, S] each
    std::vector<std::string> labels;   // "point 1", "box 1", ...
};
RegionSet build_regions(const CanvasGeometry& g, const SegmentRequest& request);

}  // namespace xs::xsam
