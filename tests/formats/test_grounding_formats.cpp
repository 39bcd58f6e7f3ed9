// refcoco, gcg and vgd: referring sentences, grounded captions, prompts and episodes survive save,
// reopen, export and import; data as RefCOCO, GranDf and X-SAM's VGD sets hold it is read; bad files
// are refused by name with the project unchanged.
#include <QtTest/QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/io/file_io.h"
#include "core/io/project_file.h"
#include "tests/formats/fixture.h"
#include "tests/harness/error_message.h"

using namespace xs;
using namespace xs::test;
using json = nlohmann::json;

namespace {

void write_text(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

int64_t sentences_in(const Project& p) {
    int64_t n = 0;
    for (const ImageRecord& img : p.images) {
        for (const Instance& inst : img.instances) n += int64_t(inst.referring.size());
    }
    return n;
}

int64_t refs_in(const Project& p) {
    int64_t n = 0;
    for (const ImageRecord& img : p.images) {
        for (const Instance& inst : img.instances) n += inst.referring.empty() ? 0 : 1;
    }
    return n;
}

// The grounded project after a save and a reopen: what an export starts from.
Project reopened_grounded_bench() { return project_from_json(project_to_json(grounded_bench()), "p.json"); }

const Instance* with_mask(const ImageRecord& img, const Rle& mask) {
    for (const Instance& inst : img.instances) {
        if (inst.mask == mask) return &inst;
    }
    return nullptr;
}

const ImageRecord& image_named(const Project& p, const std::string& name) {
    return *const_cast<Project&>(p).find_image(name);
}

// An instance id of `from` as the instance with the same mask in `to`.
int64_t id_in(const ImageRecord& from, int64_t id, const ImageRecord& to) {
    for (const Instance& inst : from.instances) {
        if (inst.id == id) {
            const Instance* same = with_mask(to, inst.mask);
            return same ? same->id : -1;
        }
    }
    return -2;
}

}  // namespace

class TestGroundingFormats : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void refcocoKeepsEverySentence() {
        const Project p = reopened_grounded_bench();
        const std::string out = scratch("refcoco") + "/out";
        const ExportReport rep = export_with(find_format("refcoco"), p, out, {{"val-fraction", "0.5"}});
        QVERIFY(!rep.lost_total.count("referring sentences"));
        QCOMPARE(rep.lost_total.at("captions"), int64_t(14));
        QVERIFY(rep.lost_total.at("prompts") > 0 && rep.lost_total.at("episodes") > 0);
        const json refs = json::parse(read_whole_file(out + "/refs.json", "refs"));
        QCOMPARE(int64_t(refs.size()), refs_in(p));
        const json& r = refs[0];
        for (const char* key : {"ref_id", "ann_id", "image_id", "category_id", "split", "sentences", "sent_ids", "file_name"})
            QVERIFY2(r.contains(key), key);
        QCOMPARE(r["sentences"][1]["tokens"], json({"it", "the", "first", "one", "\xc3\xa9"}));
        QCOMPARE(r["sentences"][1]["sent"].get<std::string>(), std::string("it the first one \xc3\xa9"));
        std::set<std::string> splits;
        for (const json& ref : refs) splits.insert(ref["split"].get<std::string>());
        QCOMPARE(splits, (std::set<std::string>{"train", "val"}));

        ImportReport irep;
        const Project back = import_with(find_format("refcoco"), out, p.image_root, &irep);
        QCOMPARE(irep.referring_sentences, sentences_in(p));
        check_round_trip(p, back, rep);
        for (const ImageRecord& img : p.images) {
            for (const Instance& inst : img.instances) {
                const Instance* b = with_mask(image_named(back, img.file_name), inst.mask);
                QVERIFY(b);
                QCOMPARE(b->referring, inst.referring);
            }
        }
    }

    void gcgKeepsCaptionsAndTheirLinks() {
        const Project p = reopened_grounded_bench();
        const std::string out = scratch("gcg") + "/gcg.json";
        const ExportReport rep = export_with(find_format("gcg"), p, out);
        QCOMPARE(rep.images, 14);
        QVERIFY(!rep.lost_total.count("captions"));
        QVERIFY(rep.lost_total.at("instances no caption names") > 0);  // images without a caption
        const json records = json::parse(read_whole_file(out, "gcg"));
        QCOMPARE(records.size(), size_t(14));
        const json& g = records[0]["groundings"]["A thing"];
        QCOMPARE(g["token_positives"], json({0, 7}));
        QVERIFY(g["rle_masks"][0]["counts"].is_string());

        ImportReport irep;
        const Project back = import_with(find_format("gcg"), out, p.image_root, &irep);
        QCOMPARE(irep.captions, int64_t(14));
        for (const ImageRecord& img : p.images) {
            const ImageRecord* b = const_cast<Project&>(back).find_image(img.file_name);
            if (img.captions.empty()) {
                QVERIFY(!b);
                continue;
            }
            QVERIFY(b);
            QCOMPARE(b->captions.size(), img.captions.size());
            const GroundedCaption& c = img.captions[0];
            const GroundedCaption& d = b->captions[0];
            QCOMPARE(d.text, c.text);
            QCOMPARE(d.phrases.size(), c.phrases.size());
            for (size_t k = 0; k < c.phrases.size(); ++k) {
                QCOMPARE(d.phrases[k].start, c.phrases[k].start);
                QCOMPARE(d.phrases[k].end, c.phrases[k].end);
                std::vector<int64_t> mapped;
                for (int64_t id : c.phrases[k].instance_ids) mapped.push_back(id_in(img, id, *b));
                QCOMPARE(d.phrases[k].instance_ids, mapped);
            }
            // The categories come back too.
            for (const Instance& inst : b->instances) {
                const Instance* orig = with_mask(img, inst.mask);
                QCOMPARE(back.find_category(inst.category_id)->name, p.find_category(orig->category_id)->name);
            }
        }
    }

    void vgdKeepsPromptsAndEpisodes() {
        const Project p = reopened_grounded_bench();
        const std::string out = scratch("vgd") + "/vgd.json";
        const ExportReport rep = export_with(find_format("vgd"), p, out);
        QVERIFY(!rep.lost_total.count("prompts") && !rep.lost_total.count("episodes"));
        QCOMPARE(rep.lost_total.at("referring sentences"), sentences_in(p));
        ImportReport irep;
        const Project back = import_with(find_format("vgd"), out, p.image_root, &irep);
        int64_t episodes = 0;
        for (const ImageRecord& img : p.images) episodes += int64_t(img.episodes.size());
        QVERIFY(episodes >= 6);
        QCOMPARE(irep.episodes, episodes);
        check_round_trip(p, back, rep);
        for (const ImageRecord& img : p.images) {
            const ImageRecord& b = image_named(back, img.file_name);
            for (const Instance& inst : img.instances) QVERIFY(with_mask(b, inst.mask)->prompt == inst.prompt);
            QCOMPARE(b.episodes.size(), img.episodes.size());
            for (size_t k = 0; k < img.episodes.size(); ++k) {
                const FindAllEpisode& e = img.episodes[k];
                const FindAllEpisode& f = b.episodes[k];
                QCOMPARE(f.example_instance_id, e.example_instance_id ? id_in(img, e.example_instance_id, b) : 0);
                QVERIFY(f.example == e.example);
                QVERIFY(f.rejected == e.rejected);
                QCOMPARE(f.source, e.source);
                QCOMPARE(f.created_ms, e.created_ms);
                std::vector<int64_t> mapped;
                for (int64_t id : e.accepted) mapped.push_back(id_in(img, id, b));
                QCOMPARE(f.accepted, mapped);
            }
        }
    }

    void vgdDrawsPromptsAsXsamData() {
        const Project p = grounded_bench();
        const std::string out = scratch("vgd-draw") + "/vgd.json";
        export_with(find_format("vgd"), p, out);
        const json doc = json::parse(read_whole_file(out, "vgd"));
        const ImageRecord& img = *std::find_if(p.images.begin(), p.images.end(), [](const ImageRecord& i) { return !i.episodes.empty(); });
        const Instance& c = img.instances[1];
        const BBox b = rle_bbox(img.instances[0].mask);
        const json* ann = nullptr;
        for (const json& a : doc["annotations"]) {
            if (a["id"] == c.id) ann = &a;
        }
        QVERIFY(ann);
        const json& vp = (*ann)["visual_prompts"];
        auto mask_of = [&](const char* key) {
            return rle_decode(rle_from_string(vp[key]["counts"].get<std::string>(), img.height, img.width));
        };
        // The positive point as a disc of radius 10 around it; the negative point is not a VGD prompt.
        const Mask point = mask_of("point_visual_prompt");
        QVERIFY(point.at(b.x + 2, b.y + 3) && point.at(b.x + 2 + 9, b.y + 3) && !point.at(b.x + 2 + 11, b.y + 3));
        QVERIFY(!point.at(1, 1));
        QCOMPARE(mask_of("box_visual_prompt").area(), int64_t(b.w) * b.h);
        QVERIFY(rle_encode(mask_of("mask_visual_prompt")) == img.instances[0].mask);
        QVERIFY(mask_of("scribble_visual_prompt").at(b.x + 1, b.y + 1));
        // Instances made without a prompt get none, or with --derive-prompts the point, box and mask.
        const json& plain = doc["annotations"][2];
        QVERIFY(plain["visual_prompts"].empty());
        export_with(find_format("vgd"), p, out, {{"derive-prompts", "1"}});
        const json derived = json::parse(read_whole_file(out, "vgd"))["annotations"][2]["visual_prompts"];
        QCOMPARE(derived.size(), size_t(3));
        QCOMPARE(derived["mask_visual_prompt"], doc["annotations"][2]["segmentation"]);
    }

    void vgdReadsXsamDataWithoutGeometry() {
        const std::string dir = scratch("vgd-xsam");
        const Project p = edge_project(dir + "/images");
        const std::string ring = rle_to_string(p.images[0].instances[0].mask);
        const std::string dot = rle_to_string(p.images[0].instances[1].mask);
        write_text(dir + "/vgd.json",
                   "{\"images\": [{\"id\": 7, \"file_name\": \"sub/a.png\", \"width\": 24, \"height\": 16}],"
                   " \"categories\": [{\"id\": 1, \"name\": \"shape\"}],"
                   " \"annotations\": [{\"id\": 3, \"image_id\": 7, \"category_id\": 1, \"iscrowd\": 0,"
                   "   \"segmentation\": {\"size\": [16, 24], \"counts\": \"" + ring + "\"},"
                   "   \"visual_prompts\": {\"point_visual_prompt\": {\"size\": [16, 24], \"counts\": \"" + dot + "\"},"
                   "                        \"mask_visual_prompt\": {\"size\": [16, 24], \"counts\": \"" + ring + "\"},"
                   "                        \"box_visual_prompt\": null}}]}");
        const Project q = import_with(find_format("vgd"), dir + "/vgd.json", dir + "/images");
        const InstancePrompt& pr = q.images[0].instances[0].prompt;
        QCOMPARE(pr.task, std::string("vgd"));
        QCOMPARE(int(pr.visual.size()), 2);
        QCOMPARE(int(pr.visual[0].kind), int(VisualPrompt::Kind::Point));
        QVERIFY(pr.visual[0].points.empty());
        QVERIFY(pr.visual[0].raster == p.images[0].instances[1].mask);
    }

    void gcgReadsGrandfData() {
        const std::string dir = scratch("gcg-grandf");
        edge_project(dir + "/images");
        // No categories, no token_positives, polygons, and the same mask named by two phrases.
        write_text(dir + "/grandf.json",
                   "[{\"file_name\": \"sub/a.png\", \"image_id\": \"x1\", \"caption\": \"a red box beside the box\","
                   "  \"groundings\": {\"a red box\": {\"rle_masks\": [[[0.5, 0.5, 4.5, 0.5, 4.5, 2.5, 0.5, 2.5]]]},"
                   "                   \"the box\": {\"token_positives\": [17, 24], \"rle_masks\": [[[0.5, 0.5, 4.5, 0.5, 4.5, 2.5, 0.5, 2.5]]]}}}]");
        const Project q = import_with(find_format("gcg"), dir + "/grandf.json", dir + "/images", nullptr, {{"category", "thing"}});
        const ImageRecord& img = q.images[0];
        QCOMPARE(int(img.instances.size()), 1);
        QCOMPARE(const_cast<Project&>(q).find_category(img.instances[0].category_id)->name, std::string("thing"));
        QCOMPARE(rle_area(img.instances[0].mask), int64_t(4 * 2));
        const GroundedCaption& c = img.captions[0];
        QCOMPARE(c.phrases[0].start, int64_t(0));
        QCOMPARE(c.phrases[0].end, int64_t(9));
        QCOMPARE(phrase_text(c, c.phrases[1]), std::string("the box"));
        QCOMPARE(c.phrases[0].instance_ids, c.phrases[1].instance_ids);
    }

    void badGroundingFilesAreRefusedByName_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("file");     // which exported file to damage
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("message");
        QTest::newRow("refcoco: unknown annotation") << "refcoco" << "refs.json" << "\"ann_id\":" << "\"ann_id\":9999,\"x\":"
                                                     << "refs.json: [0].ann_id: annotation 9999 is not in instances.json";
        QTest::newRow("refcoco: wrong image") << "refcoco" << "refs.json" << "\"image_id\":" << "\"image_id\":2,\"x\":"
                                              << "refs.json: [0].image_id: annotation 1 is not on image 2";
        QTest::newRow("refcoco: empty sentence") << "refcoco" << "refs.json" << "\"raw\":\"the object on image 1\"" << "\"raw\":\"\""
                                                 << "refs.json: [0].sentences[0].raw: empty sentence";
        QTest::newRow("gcg: span beyond the caption") << "gcg" << "gcg.json" << "[0,7]" << "[0,70]"
                                                      << "gcg.json: [0].groundings[\"A thing\"].token_positives: span [0, 70)";
        QTest::newRow("gcg: mask of another size") << "gcg" << "gcg.json" << "\"size\":[" << "\"size\":[1,"
                                                    << "gcg.json: [0].groundings[\"A thing\"].rle_masks[0].size: expected [height, width]";
        QTest::newRow("vgd: episode naming another image's annotation") << "vgd" << "vgd.json" << "\"accepted\":[" << "\"accepted\":[9,"
                                                                        << "vgd.json: xsam_episodes[0].accepted[0]: instance 9 is not an instance of this image";
        QTest::newRow("vgd: prompt of an unknown kind") << "vgd" << "vgd.json" << "\"kind\":\"box\"" << "\"kind\":\"lasso\""
                                                        << "vgd.json: annotations[11].xsam_prompt.visual[2].kind: unknown kind \"lasso\"";
    }

    void badGroundingFilesAreRefusedByName() {
        QFETCH(QString, format);
        QFETCH(QString, file);
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, message);
        const Format& f = find_format(format.toStdString());
        const std::string dir = scratch("grounding-bad");
        const std::string out = dir + "/" + (f.info().exports_folder ? "out" : file.toStdString());
        export_with(f, grounded_bench(), out);
        const std::string path = f.info().exports_folder ? out + "/" + file.toStdString() : out;
        std::string text = read_whole_file(path, "file");
        const size_t at = text.find(from.toStdString());
        QVERIFY2(at != std::string::npos, "pattern not found");
        write_text(path, text.replace(at, size_t(from.size()), to.toStdString()));
        Project target = bench_project();
        const std::string before = project_to_json(target);
        ImportOptions io;
        io.images_dir = target.image_root;
        ImportReport rep;
        const std::string e = expect_error([&] { f.import_into(target, out, io, rep); });
        QVERIFY2(e.find(dir + "/" + (f.info().exports_folder ? "out/" : "") + message.toStdString()) == 0, e.c_str());
        QCOMPARE(project_to_json(target), before);
    }
};

QTEST_GUILESS_MAIN(TestGroundingFormats)
#include "test_grounding_formats.moc"
