// The one image-folder scanner (core/io/folder_scan.h) of the GUI and xsam-cli batch: which files are
// listed (extensions, hidden files, links inside and outside the folder, loops, names that are not
// UTF-8), the natural order with Unicode case folding, and the folding table against Qt's own
// (QChar::toCaseFolded, Unicode simple case folding) for every code point of the blocks it covers.
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "core/io/folder_scan.h"
#include "core/util/error.h"

using namespace xs;
namespace fs = std::filesystem;

namespace {

void touch(const std::string& path) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << "x";
}

QString show(const std::vector<std::string>& names) {
    QStringList out;
    for (const std::string& n : names) out << QString::fromUtf8(n.data(), int(n.size()));
    return out.join(" | ");
}

}  // namespace

class TestFolderScan : public QObject {
    Q_OBJECT
    std::string dir_;

private Q_SLOTS:
    void initTestCase() {
        dir_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-folder-scan").toStdString() + "/scan";
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }

    void lists_images_by_the_folder_rules() {
        const std::string root = dir_ + "/photos", outside = dir_ + "/elsewhere";
        for (const char* f : {"img10.png", "img2.JPG", "img1.jpeg", "notes.txt", "sub/deep/x.tif", "sub/y.webp",
                              ".hidden/z.png", "sub/.w.png", "noext", "b.bmp.txt", "dir.png/inside.pgm"})
            touch(root + "/" + f);
        touch(outside + "/far.png");
        touch(root + "/raw-\xff\xfe-name.png");  // not UTF-8: kept byte for byte
        fs::create_directory_symlink("..", root + "/sub/loop");           // back up: a loop
        fs::create_directory_symlink(root, root + "/sub/deep/to-root");   // the root itself: a loop
        fs::create_directory_symlink(root + "/sub/deep", root + "/linked");  // inside: followed
        fs::create_directory_symlink(outside, root + "/out");             // leaves the folder: not followed
        fs::create_directory_symlink("/", root + "/slash");               // the whole disk: not followed
        fs::create_symlink(outside + "/far.png", root + "/file-link.png");  // a link to a file is a file
        const ImageFolder f = scan_image_folder(root);
        const std::vector<std::string> want = {"dir.png/inside.pgm", "file-link.png", "img1.jpeg", "img2.JPG", "img10.png",
                                               "linked/x.tif", "raw-\xff\xfe-name.png", "sub/deep/x.tif", "sub/y.webp"};
        QCOMPARE(show(f.files), show(want));
        QVERIFY(f.files == want);  // byte for byte (the display above replaces the raw bytes)
        std::vector<std::string> skipped = f.links_not_followed;
        std::sort(skipped.begin(), skipped.end());
        const std::vector<std::string> not_followed = {"linked/to-root", "out", "slash", "sub/deep/to-root", "sub/loop"};
        QCOMPARE(show(skipped), show(not_followed));
        QVERIFY(!f.cancelled);
        QVERIFY(f.unreadable_folders.empty());
    }

    void bad_roots_say_what_is_wrong() {
        auto error = [](const std::string& root) {
            try {
                scan_image_folder(root);
            } catch (const Error& e) {
                return QString::fromStdString(e.what());
            }
            return QString();
        };
        QVERIFY(error(dir_ + "/missing").contains("no such folder"));
        touch(dir_ + "/file.txt");
        QVERIFY(error(dir_ + "/file.txt").contains("not a folder"));
        QVERIFY(error(dir_ + "/file.txt").contains("file.txt"));
    }

    void cancel_and_progress() {
        const std::string root = dir_ + "/many";
        for (int i = 0; i < 450; ++i) touch(root + "/d" + std::to_string(i % 3) + "/" + std::to_string(i) + ".png");
        std::vector<int> reports;
        const ImageFolder all = scan_image_folder(root, nullptr, [&](int n) { reports.push_back(n); });
        QCOMPARE(int(all.files.size()), 450);
        QVERIFY(reports.size() >= 3);
        QCOMPARE(reports.back(), 450);
        std::atomic<bool> cancel{true};
        const ImageFolder none = scan_image_folder(root, &cancel);
        QVERIFY(none.cancelled);
        QVERIFY(none.files.empty());
    }

    void natural_order_data() {
        QTest::addColumn<QStringList>("names");  // in the expected order
        QTest::newRow("numbers by value") << QStringList{"img01", "img1", "img2", "img2a", "img10", "x99", "x100"};
        QTest::newRow("ASCII case ignored") << QStringList{"A/a.png", "a/b.png", "IMG1.png", "img01.png", "img2.png"};
        QTest::newRow("Latin-1 folded") << QStringList{"apfel", "b", "Zebra", "ä2", "ä10", "Äpfel", "äpfel2"};
        QTest::newRow("Latin Extended-A folded") << QStringList{"Łódź1", "łódź2", "ŁÓDŹ3", "Şişli", "şişli2"};
        QTest::newRow("Greek folded, final sigma too") << QStringList{"ΑΒΓ", "αβγ1", "ΣΟΦΙΑ", "σοφια2", "σοφιας", "ΣΟΦΙΑΣ3"};
        QTest::newRow("Cyrillic folded, code point order (not a collation)") << QStringList{"Яблоко", "яблоко2", "ЯБЛОКО10", "Ёж", "ёж2"};
        QTest::newRow("Armenian and fullwidth") << QStringList{"Աբ", "աբ2", "ＡＢ", "ａｂ2"};
    }

    void natural_order() {
        QFETCH(QStringList, names);
        std::vector<std::string> want;
        for (const QString& n : names) want.push_back(n.toStdString());
        std::vector<std::string> got = want;
        std::reverse(got.begin(), got.end());
        natural_sort(got);
        QCOMPARE(show(got), show(want));
        QVERIFY(got == want);
    }

    void bytes_that_are_not_utf8_sort_after_every_letter() {
        const std::vector<std::string> want = {"a1", "a\xC3\xA9", "a\xE6\x97\xA5", "a\xED\xA0\x80", "a\xFF", "a\xFF" "2"};
        std::vector<std::string> got(want.rbegin(), want.rend());
        natural_sort(got);
        QVERIFY2(got == want, qPrintable(show(got)));  // (U+D800 encoded is not UTF-8 either)
    }

    void natural_compare_is_a_total_order_with_byte_ties() {
        QCOMPARE(natural_compare("Abc", "abc"), 0);
        QVERIFY(natural_compare("img2", "img10") < 0);
        QVERIFY(natural_compare("img10", "img2") > 0);
        std::vector<std::string> v = {"abc", "Abc", "ABC"};
        natural_sort(v);
        QVERIFY((v == std::vector<std::string>{"ABC", "Abc", "abc"}));
    }

    // Every code point of the covered blocks folds as Qt folds it; every other one to itself.
    void case_folding_matches_unicode_data() {
        const std::pair<char32_t, char32_t> covered[] = {{0x0000, 0x024F}, {0x0345, 0x0345}, {0x0370, 0x052F},
                                                         {0x0530, 0x058F}, {0x1E00, 0x1EFF}, {0xFF00, 0xFFEF}};
        int checked = 0, folded = 0;
        for (auto [lo, hi] : covered)
            for (char32_t c = lo; c <= hi; ++c) {
                const char32_t want = QChar::toCaseFolded(c);
                QVERIFY2(case_fold(c) == want, qPrintable(QStringLiteral("U+%1 folds to U+%2, Unicode says U+%3")
                                                              .arg(uint(c), 4, 16, QChar('0'))
                                                              .arg(uint(case_fold(c)), 4, 16, QChar('0'))
                                                              .arg(uint(want), 4, 16, QChar('0'))));
                QCOMPARE(case_fold(case_fold(c)), case_fold(c));
                ++checked;
                folded += want != c;
            }
        qInfo("case folding: %d code points checked, %d of them fold", checked, folded);
        for (char32_t c : {char32_t(0x4E00), char32_t(0x10400), char32_t(0x1F600), char32_t(0x2C00)})
            QCOMPARE(case_fold(c), c);  // outside the table: unchanged
    }

    void image_file_names() {
        QVERIFY(is_image_file_name("a/b/photo.JPEG"));
        QVERIFY(is_image_file_name("x.pbm"));
        QVERIFY(!is_image_file_name("b.bmp.txt"));
        QVERIFY(!is_image_file_name("dir.png/noext"));
        QVERIFY(!is_image_file_name("png"));
        QVERIFY(QString::fromStdString(image_file_patterns()).startsWith("*.jpg *.jpeg *.png"));
    }
};

QTEST_MAIN(TestFolderScan)
#include "test_folder_scan.moc"
