// Image loading and the project file.
#include <QtTest/QtTest>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tests/harness/error_message.h"
#include "core/annotation/project.h"
#include "core/io/image.h"
#include "core/io/project_file.h"
#include "core/util/error.h"

using namespace xs;
namespace fs = std::filesystem;

using xs::test::expect_error;

namespace {

std::string tmp_dir() {
    const QByteArray t = qgetenv("XS_TEST_TMP");
    std::string dir = t.isEmpty() ? std::string("/tmp/xs_test_io") : std::string(t.constData()) + "/io";
    fs::create_directories(dir);
    return dir;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

// A JPEG with an EXIF APP1 segment carrying the orientation tag, spliced in right after SOI.
std::string jpeg_with_orientation(const cv::Mat& bgr, int orientation) {
    std::vector<uchar> buf;
    cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, 95});
    std::string jpg(buf.begin(), buf.end());
    std::string tiff;
    tiff += std::string("II*\0", 4);
    tiff += std::string("\x08\x00\x00\x00", 4);                 // IFD0 at offset 8
    tiff += std::string("\x01\x00", 2);                         // one entry
    tiff += std::string("\x12\x01\x03\x00\x01\x00\x00\x00", 8);  // tag 0x0112, SHORT, count 1
    tiff += char(orientation);
    tiff += std::string("\x00\x00\x00", 3);
    tiff += std::string("\x00\x00\x00\x00", 4);  // no next IFD
    const std::string payload = std::string("Exif\0\0", 6) + tiff;
    const size_t len = payload.size() + 2;
    std::string app1 = "\xFF\xE1";
    app1 += char((len >> 8) & 0xFF);
    app1 += char(len & 0xFF);
    app1 += payload;
    return jpg.substr(0, 2) + app1 + jpg.substr(2);
}

Project sample_project() {
    Project p;
    p.image_root = "images";
    p.add_category("bird");
    p.add_category("tree", Rgb{1, 2, 3});
    ImageRecord& a = p.add_image("a/0001.jpg", 6, 4);
    Mask m(6, 4);
    m.set(0, 0, true);
    m.set(5, 3, true);
    p.add_instance(a, 1, rle_encode(m), 0.75f, "classic:points(1+,0-)");
    p.add_image("b.png", 3, 3);
    Instance& second = p.add_instance(*p.find_image("b.png"), 2, rle_encode(Mask(3, 3)));
    second.visible = false;
    return p;
}

}  // namespace

class TestIo : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exifOrientation() {
        // 40 x 20, left half black, right half white.
        cv::Mat img(20, 40, CV_8UC3, cv::Scalar(255, 255, 255));
        img(cv::Rect(0, 0, 20, 20)).setTo(cv::Scalar(0, 0, 0));
        const std::string dir = tmp_dir();
        write_file(dir + "/o1.jpg", jpeg_with_orientation(img, 1));
        write_file(dir + "/o6.jpg", jpeg_with_orientation(img, 6));
        write_file(dir + "/o3.jpg", jpeg_with_orientation(img, 3));
        write_file(dir + "/o8.jpg", jpeg_with_orientation(img, 8));

        const Image i1 = load_image(dir + "/o1.jpg");
        QCOMPARE(i1.width, 40);
        QCOMPARE(i1.height, 20);
        QVERIFY(i1.pixel(5, 10)[0] < 40 && i1.pixel(35, 10)[0] > 215);

        // 6: rotate 90 degrees clockwise to display: the stored left (black) half ends up on top.
        const Image i6 = load_image(dir + "/o6.jpg");
        QCOMPARE(i6.width, 20);
        QCOMPARE(i6.height, 40);
        QVERIFY(i6.pixel(10, 5)[0] < 40 && i6.pixel(10, 35)[0] > 215);
        int w = 0, h = 0;
        read_image_size(dir + "/o6.jpg", w, h);
        QCOMPARE(w, 20);
        QCOMPARE(h, 40);

        // 8: rotate counter-clockwise: black at the bottom.
        const Image i8 = load_image(dir + "/o8.jpg");
        QCOMPARE(i8.width, 20);
        QVERIFY(i8.pixel(10, 35)[0] < 40 && i8.pixel(10, 5)[0] > 215);

        // 3: 180 degrees: black on the right.
        const Image i3 = load_image(dir + "/o3.jpg");
        QCOMPARE(i3.width, 40);
        QVERIFY(i3.pixel(35, 10)[0] < 40 && i3.pixel(5, 10)[0] > 215);
    }

    void depthsAndChannels() {
        const std::string dir = tmp_dir();
        cv::Mat g16(2, 3, CV_16UC1);
        g16.at<uint16_t>(0, 0) = 0;
        g16.at<uint16_t>(0, 1) = 32768;
        g16.at<uint16_t>(0, 2) = 65535;
        g16.row(1).setTo(1000);
        QVERIFY(cv::imwrite(dir + "/g16.png", g16));
        const Image g = load_image(dir + "/g16.png");
        QCOMPARE(g.width, 3);
        QCOMPARE(g.height, 2);
        QCOMPARE(int(g.pixel(0, 0)[0]), 0);
        QCOMPARE(int(g.pixel(1, 0)[1]), 128);  // 32768 / 257 = 127.5 -> 128
        QCOMPARE(int(g.pixel(2, 0)[2]), 255);
        int pw = 0, ph = 0;
        read_image_size(dir + "/g16.png", pw, ph);  // from the PNG header
        QCOMPARE(pw, 3);
        QCOMPARE(ph, 2);

        cv::Mat rgba(1, 2, CV_8UC4);
        rgba.at<cv::Vec4b>(0, 0) = cv::Vec4b(0, 0, 255, 255);  // opaque red (BGRA)
        rgba.at<cv::Vec4b>(0, 1) = cv::Vec4b(0, 0, 255, 0);    // fully transparent -> white
        QVERIFY(cv::imwrite(dir + "/rgba.png", rgba));
        const Image c = load_image(dir + "/rgba.png");
        QCOMPARE(int(c.pixel(0, 0)[0]), 255);
        QCOMPARE(int(c.pixel(0, 0)[1]), 0);
        QCOMPARE(int(c.pixel(0, 0)[2]), 0);
        QCOMPARE(int(c.pixel(1, 0)[0]), 255);
        QCOMPARE(int(c.pixel(1, 0)[1]), 255);

        cv::Mat bgr(1, 1, CV_8UC3, cv::Scalar(10, 20, 30));
        QVERIFY(cv::imwrite(dir + "/bgr.png", bgr));
        const Image b = load_image(dir + "/bgr.png");
        QCOMPARE(int(b.pixel(0, 0)[0]), 30);  // RGB order
        QCOMPARE(int(b.pixel(0, 0)[2]), 10);
    }

    void badImageFiles() {
        const std::string dir = tmp_dir();
        cv::Mat img(64, 64, CV_8UC3, cv::Scalar(40, 90, 200));
        cv::randu(img, 0, 255);
        std::vector<uchar> jpg, png;
        cv::imencode(".jpg", img, jpg);
        cv::imencode(".png", img, png);
        write_file(dir + "/trunc.jpg", std::string(jpg.begin(), jpg.begin() + long(jpg.size() * 6 / 10)));
        write_file(dir + "/trunc.png", std::string(png.begin(), png.begin() + long(png.size() * 6 / 10)));
        write_file(dir + "/text.jpg", "this is not an image\n");
        write_file(dir + "/empty.png", "");

        std::string e = expect_error([&] { load_image(dir + "/trunc.jpg"); });
        QVERIFY2(e.find("truncated") != std::string::npos && e.find("trunc.jpg") != std::string::npos, e.c_str());
        e = expect_error([&] { load_image(dir + "/trunc.png"); });
        QVERIFY2(e.find("truncated") != std::string::npos, e.c_str());
        e = expect_error([&] { load_image(dir + "/text.jpg"); });
        QVERIFY2(e.find("not an image") != std::string::npos, e.c_str());
        e = expect_error([&] { load_image(dir + "/empty.png"); });
        QVERIFY2(e.find("empty") != std::string::npos, e.c_str());
        e = expect_error([&] { load_image(dir + "/does-not-exist.jpg"); });
        QVERIFY2(e.find("missing") != std::string::npos, e.c_str());
        int w = 0, h = 0;
        e = expect_error([&] { read_image_size(dir + "/trunc.jpg", w, h); });
        QVERIFY2(e.find("truncated") != std::string::npos, e.c_str());
        e = expect_error([&] { read_image_size(dir + "/trunc.png", w, h); });
        QVERIFY2(e.find("truncated") != std::string::npos, e.c_str());
        e = expect_error([&] { read_image_size(dir + "/text.jpg", w, h); });
        QVERIFY2(e.find("not an image") != std::string::npos, e.c_str());
    }

    void projectRoundTrip() {
        const Project p = sample_project();
        QCOMPARE(p.categories[0].id, 1);
        QCOMPARE(p.categories[1].id, 2);
        QCOMPARE(p.images[1].id, 2);
        QCOMPARE(p.images[1].instances[0].id, int64_t(2));
        const std::string text = project_to_json(p);
        const Project q = project_from_json(text, "mem");
        QCOMPARE(project_to_json(q), text);
        QCOMPARE(q.categories[1].color, (Rgb{1, 2, 3}));
        QCOMPARE(q.images[0].instances[0].score, 0.75f);
        QCOMPARE(q.images[0].instances[0].source, std::string("classic:points(1+,0-)"));
        QVERIFY(!q.images[1].instances[0].visible);
        QVERIFY(rle_decode(q.images[0].instances[0].mask).at(5, 3));
        QCOMPARE(q.next_instance_id, int64_t(3));

        // Ids are never reused after deletions, also across save/load.
        Project r = q;
        QCOMPARE(r.remove_category(2), 1);
        const Project s = project_from_json(project_to_json(r), "mem");
        Project t = s;
        QCOMPARE(t.add_category("new").id, 3);
    }

    void projectValidation() {
        const std::string good = project_to_json(sample_project());
        auto err = [&](const std::string& text) { return expect_error([&] { project_from_json(text, "p.json"); }); };
        auto replaced = [&](const std::string& from, const std::string& to) {
            std::string t = good;
            const size_t at = t.find(from);
            if (at == std::string::npos) return std::string("<pattern not found: " + from + ">");
            return t.replace(at, from.size(), to);
        };
        std::string e = err(good.substr(0, good.size() / 2));
        QVERIFY2(e.find("p.json: malformed JSON") == 0, e.c_str());
        e = err(replaced("\"version\": 1", "\"version\": 99"));
        QVERIFY2(e.find("newer") != std::string::npos, e.c_str());
        e = err(replaced("\"format\": \"xsam-studio-project\"", "\"format\": \"other\""));
        QVERIFY2(e.find("format") != std::string::npos, e.c_str());
        e = err(replaced("\"category_id\": 2", "\"category_id\": 7"));
        QVERIFY2(e.find("images[1].instances[0].category_id: unknown category id 7") != std::string::npos, e.c_str());
        e = err(replaced("\"id\": 2,\n     \"category_id\"", "\"id\": 1,\n     \"category_id\""));
        QVERIFY2(e.find("duplicate instance id 1") != std::string::npos, e.c_str());
        e = err(replaced("\"size\": [\n       3,\n       3\n      ]", "\"size\": [\n       3,\n       4\n      ]"));
        QVERIFY2(e.find("images[1].instances[0].mask.size") != std::string::npos, e.c_str());
        e = err(replaced("\"image_root\"", "\"image_rot\""));
        QVERIFY2(e.find("missing required field \"image_root\"") != std::string::npos, e.c_str());
    }

    void projectAttributes() {
        // A project using no attribute stays a version-1 file; the first one used makes it version 3.
        Project p = sample_project();
        QCOMPARE(project_format_version(p), 1);
        const std::string v1 = project_to_json(p);
        QVERIFY(v1.find("occluded") == std::string::npos && v1.find("attributes") == std::string::npos);
        p.images[0].instances[0].occluded = true;
        QCOMPARE(project_format_version(p), 3);
        p.images[0].instances[0].occluded = false;
        QCOMPARE(project_to_json(p), v1);

        p.categories[0].attributes = {{"colour", AttributeKind::choice, {"red", "green"}, std::string("red")},
                                      {"doors", AttributeKind::number, {}, 4.0},
                                      {"parked", AttributeKind::boolean, {}, false},
                                      {"plate", AttributeKind::text, {}, std::string("none")}};
        Instance& inst = p.images[0].instances[0];
        inst.iscrowd = true;
        inst.truncated = true;
        inst.note = "half hidden \xc3\xa9";
        inst.attributes = {{"colour", std::string("green")}, {"doors", 2.5}, {"parked", true}, {"plate", std::string("")}};
        const std::string v3 = project_to_json(p);
        QVERIFY(v3.find("\"version\": 3") != std::string::npos);
        const Project q = project_from_json(v3, "p.json");
        QCOMPARE(project_to_json(q), v3);
        const Instance& back = q.images[0].instances[0];
        QVERIFY(back.iscrowd && !back.occluded && back.truncated);
        QCOMPARE(back.note, inst.note);
        QVERIFY(back.attributes == inst.attributes);
        QCOMPARE(q.categories[0].attributes.size(), size_t(4));
        QCOMPARE(q.categories[0].attributes[0].choices, (std::vector<std::string>{"red", "green"}));
        QVERIFY(q.categories[0].attributes[3].default_value == AttributeValue(std::string("none")));
        QVERIFY(!has_attributes(q.images[1].instances[0]));

        // Bad declarations and values are refused with the field named.
        auto err = [&](const std::string& from, const std::string& to) {
            std::string t = v3;
            const size_t at = t.find(from);
            if (at == std::string::npos) return std::string("<pattern not found: " + from + ">");
            t.replace(at, from.size(), to);
            return expect_error([&] { project_from_json(t, "p.json"); });
        };
        const std::vector<std::pair<std::string, std::string>> rows = {
            {err("\"kind\": \"number\"", "\"kind\": \"integer\""),
             "p.json: categories[0].attributes[1].kind: unknown kind \"integer\""},
            {err("\"default\": 4.0", "\"default\": \"four\""),
             "p.json: categories[0].attributes[1].default: expected a number, got a string"},
            {err("\"default\": \"red\"", "\"default\": \"blue\""),
             "p.json: categories[0].attributes[0]: default \"blue\" is not a choice value of the choices"},
            {err("\"name\": \"doors\"", "\"name\": \"colour\""),
             "p.json: categories[0].attributes[1].name: duplicate attribute \"colour\""},
            {err("\"name\": \"doors\"", "\"name\": \"occluded\""),
             "p.json: categories[0].attributes[1]: \"occluded\" is a fixed attribute of every instance"},
            {err("\"colour\": \"green\"", "\"colour\": \"pink\""),
             "p.json: images[0].instances[0].attributes.colour: \"pink\" is not one of the choices of \"colour\""},
            {err("\"doors\": 2.5", "\"doors\": true"),
             "p.json: images[0].instances[0].attributes.doors: expected a number, got a boolean"},
            {err("\"parked\": true", "\"wheels\": 4"),
             "p.json: images[0].instances[0].attributes.wheels: category \"bird\" declares no attribute \"wheels\""},
            {err("\"iscrowd\": true", "\"iscrowd\": 1"),
             "p.json: images[0].instances[0].iscrowd: expected true or false, got an integer"},
            {err("\"note\": \"half", "\"note\": 7, \"n\": \"half"),
             "p.json: images[0].instances[0].note: expected a string, got an integer"},
        };
        for (const auto& [got, expected] : rows) QVERIFY2(got.find(expected) == 0, (got + "\n  expected: " + expected).c_str());

        // A file of a newer version than this build reads is refused, not opened with fields lost.
        const std::string e = err("\"version\": 3", "\"version\": 5");
        QVERIFY2(e.find("p.json: version: written by a newer X-SAM Studio (format version 5, this build reads up to 4)") == 0,
                 e.c_str());
    }

    void projectReviews() {
        // Without review data the file is as before (version 1 here) byte for byte; a status or tag
        // on any image, opened or only listed, makes it version 4.
        Project p = sample_project();
        const std::string v1 = project_to_json(p);
        QVERIFY(v1.find("reviews") == std::string::npos);
        const Project old = project_from_json(v1, "old.json");
        QVERIFY(old.reviews.empty());
        p.set_review("a/0001.jpg", ImageReview{ReviewStatus::done, {"night", "rain"}});
        p.set_review("never/opened.png", ImageReview{ReviewStatus::needs_review, {}});
        p.set_review("caf\xe9.jpg", ImageReview{ReviewStatus::todo, {"latin-1 name"}});
        QCOMPARE(project_format_version(p), 4);
        const std::string v4 = project_to_json(p);
        QVERIFY(v4.find("\"version\": 4") != std::string::npos);
        const Project q = project_from_json(v4, "p.json");
        QCOMPARE(project_to_json(q), v4);
        QVERIFY(q.reviews == p.reviews);
        QCOMPARE(q.review("never/opened.png").status, ReviewStatus::needs_review);
        QVERIFY(q.review("caf\xe9.jpg").has_tag("latin-1 name"));
        QCOMPARE(q.review("unlisted.jpg").status, ReviewStatus::todo);
        p.set_review("a/0001.jpg", ImageReview{});
        p.set_review("never/opened.png", ImageReview{});
        p.set_review("caf\xe9.jpg", ImageReview{});
        QCOMPARE(project_to_json(p), v1);

        auto err = [&](const std::string& from, const std::string& to) {
            std::string t = v4;
            const size_t at = t.find(from);
            if (at == std::string::npos) return std::string("<pattern not found: " + from + ">");
            t.replace(at, from.size(), to);
            return expect_error([&] { project_from_json(t, "p.json"); });
        };
        const std::vector<std::pair<std::string, std::string>> rows = {
            {err("\"status\": \"done\"", "\"status\": \"finished\""),
             "p.json: reviews[0].status: unknown status \"finished\" (todo, in_progress, done or needs_review)"},
            {err("\"status\": \"done\"", "\"status\": 2"), "p.json: reviews[0].status: expected a string, got an integer"},
            {err("\"status\": \"done\",", ""), "p.json: reviews[0]: missing required field \"status\""},
            {err("\"rain\"", "\"night\""), "p.json: reviews[0].tags[1]: duplicate tag \"night\""},
            {err("\"rain\"", "\" rain\""), "p.json: reviews[0].tags[1]: \" rain\" is not a tag (one line, not empty, no spaces around it)"},
            {err("\"rain\"", "\"\""), "p.json: reviews[0].tags[1]: \"\" is not a tag"},
            {err("\"rain\"", "3"), "p.json: reviews[0].tags[1]: expected a string, got an integer"},
            {err("\"file_name\": \"never/opened.png\"", "\"file_name\": \"a/0001.jpg\""),
             "p.json: reviews[2].file_name: duplicate file name \"a/0001.jpg\""},
        };
        for (const auto& [got, expected] : rows) QVERIFY2(got.find(expected) == 0, (got + "\n  expected: " + expected).c_str());
        std::string not_list = v4;
        not_list.replace(not_list.find("\"reviews\": ["), 12, "\"reviews\": 7, \"x\": [");
        const std::string e = expect_error([&] { project_from_json(not_list, "p.json"); });
        QVERIFY2(e.find("p.json: reviews: expected a list, got an integer") == 0, e.c_str());
    }

    void atomicSaveAndLoad() {
        const std::string dir = tmp_dir() + "/save";
        fs::remove_all(dir);
        fs::create_directories(dir);
        const std::string path = dir + "/p.xsproj.json";
        const Project p = sample_project();
        save_project(p, path);
        const std::string bytes = read_file(path);
        QCOMPARE(bytes, project_to_json(p));
        // Loading never modifies the file.
        struct stat before {}, after {};
        QCOMPARE(::stat(path.c_str(), &before), 0);
        const Project q = load_project(path);
        QCOMPARE(::stat(path.c_str(), &after), 0);
        QCOMPARE(read_file(path), bytes);
        QCOMPARE(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
        QCOMPARE(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
        QCOMPARE(q.instance_count(), int64_t(2));
        // No temporary files are left behind.
        int files = 0;
        for (const auto& e : fs::directory_iterator(dir)) {
            (void)e;
            ++files;
        }
        QCOMPARE(files, 1);
        // A failed write (folder missing) throws and leaves nothing.
        QVERIFY_THROWS_EXCEPTION(Error, save_project(p, dir + "/missing/p.json"));
        QVERIFY(!fs::exists(dir + "/missing"));
        // Writing over a folder fails cleanly, the folder stays.
        fs::create_directories(dir + "/afolder");
        QVERIFY_THROWS_EXCEPTION(Error, atomic_write_file(dir + "/afolder", "x"));
        QVERIFY(fs::is_directory(dir + "/afolder"));
    }

    void autosaver() {
        const std::string dir = tmp_dir() + "/autosave";
        fs::remove_all(dir);
        fs::create_directories(dir);
        const std::string path = dir + "/auto.json";
        Project p = sample_project();
        {
            Autosaver saver(path);
            for (int i = 0; i < 50; ++i) {
                p.add_category("c" + std::to_string(i));
                saver.submit(p);
            }
            saver.flush();
            QVERIFY(saver.saves_completed() >= 1);
            QVERIFY(saver.saves_completed() <= 50);
            QCOMPARE(read_file(path), project_to_json(p));  // the latest snapshot wins
            p.add_category("last");
            saver.submit(p);
        }  // the destructor flushes
        QCOMPARE(load_project(path).categories.back().name, std::string("last"));

        std::atomic<int> errors{0};
        std::string message;
        {
            Autosaver bad(dir + "/no/such/folder/p.json", [&](const std::string& m) {
                message = m;
                ++errors;
            });
            bad.submit(p);
            bad.flush();
            QCOMPARE(bad.saves_completed(), int64_t(0));
        }
        QCOMPARE(errors.load(), 1);
        QVERIFY2(message.find("no/such/folder") != std::string::npos, message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestIo)
#include "test_io.moc"
