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
// Visual prompts are drawn as the reference's data pipeline draws them (dataset/utils/vprompt.py,
// intseg_dataset.py, vgdseg_dataset.py): on a mask of the ORIGINAL image size, then resized to (h', w')
// like the image (the SAM processor's condition maps: PIL NEAREST) and zero padded to the S x S canvas.
//   point:    the pixel holding (x, y), grown to a disc: pixels at integer offsets with dx^2 + dy^2 <= r^2,
//             r = 10 image pixels (enhance_with_circles);
//   scribble: the polyline's vertices as pixels, consecutive ones joined by skimage.draw.line (Bresenham),
//             every line pixel grown to a disc of r = 5 image pixels;
//   box:      the pixels whose centre lies inside the box (integer corners: numpy's mask[y0:y1, x0:x1]);
//   mask:     as given.
// A shape that covers image pixels but loses them all in a shrinking resize keeps one canvas pixel (its
// first pixel in raster order, mapped down): the reference would pass an empty mask to the sampler.
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

// Positions of the <p> ... </p> spans (inclusive) and of the <SEG> tokens among the first `limit` ids;
// as the reference, the i-th <p> pairs with the i-th </p>.
struct Marks {
    std::vector<std::pair<int64_t, int64_t>> phrases;
    std::vector<int64_t> segs;
};
Marks find_marks(const std::vector<int64_t>& ids, int64_t pstart, int64_t pend, int64_t seg, size_t limit);

// One embedding per phrase: the mean of the rows of `proj` [L, D] over its span, rows shifted by
// `offset` (the reference's _get_index_embeds over cond_ids) -> [K, D].
torch::Tensor phrase_embeddings(const torch::Tensor& proj, const Marks& marks, int64_t offset = 0);

// ---- visual prompts --------------------------------------------------------------------------------

struct CanvasGeometry {
    int canvas = 1024;            // S
    int scaled_h = 0, scaled_w = 0;  // (h', w')
    int height = 0, width = 0;       // original image
};

inline constexpr float kPointRadius = 10.0f;    // image pixels (the reference's point_radius)
inline constexpr float kScribbleRadius = 5.0f;  // image pixels (the reference's scribble_radius)

// Shapes on the original image grid (width x height), clipped to it.
Mask draw_point(int width, int height, float x, float y, float radius = kPointRadius);
Mask draw_scribble(int width, int height, const ScribblePrompt& s);  // radius s.radius, or kScribbleRadius when 0
Mask draw_box(int width, int height, const BoxPrompt& b);

// An image-size mask on the canvas: PIL NEAREST resize to (h', w'), zero padding to S x S; uint8 [S, S].
torch::Tensor to_canvas(const CanvasGeometry& g, const Mask& m);

// One binary region on the canvas: to_canvas of the shape drawn on the image grid.
torch::Tensor rasterise_point(const CanvasGeometry& g, float x, float y, float radius = kPointRadius);
torch::Tensor rasterise_scribble(const CanvasGeometry& g, const ScribblePrompt& s);
torch::Tensor rasterise_box(const CanvasGeometry& g, const BoxPrompt& b);
torch::Tensor rasterise_mask(const CanvasGeometry& g, const Mask& m);

// The negative points and scribbles of a request drawn on the image grid like positive ones (the
// reference has no negative prompts; the interactive choice uses these, see postprocess.h).
std::vector<Mask> negative_prompts(const SegmentRequest& request, int width, int height);

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
