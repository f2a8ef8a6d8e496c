"""Tests for vnsearch.documents.pages: text files read whole, or cleaned as scraped news pages (the sample corpus)."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata

import pytest

from vnsearch.documents import (
    Document,
    load,
)

from loader_helpers import SAMPLE_CORPUS, write

SAMPLES = {
    "2019-07-10-hai-phong-dang-uy-khoi-hoi-nghi.txt": dict(
        title="Đảng ủy Khối các cơ quan thành phố tổ chức hội nghị Ban Chấp hành lần thứ 20",
        date=None,
        first="Chiều 10/7, Đảng ủy Khối các cơ quan thành phố tổ chức hội nghị Ban Chấp hành lần thứ 20.",
        last="Nhân dịp này, Đảng ủy khối các cơ quan thành phố đã biểu dương, khen thưởng 25 chi bộ "
        "đã có thành tích xuất sắc trong việc nâng cao chất lượng sinh hoạt giai đoạn 2014 – 2019.",
        author="Hoàng Tùng",
    ),
    "2019-07-30-ha-noi-chuan-bi-dai-hoi-dang.txt": dict(
        title="Chủ động triển khai công tác chuẩn bị tổ chức đại hội Đảng các cấp",
        date=dt.datetime(2019, 7, 30, 17, 0),
        first="Sáng 30/7, đồng chí Hoàng Trung Hải, Ủy viên Bộ Chính trị, Bí thư Thành ủy, Trưởng Ban "
        "Chỉ đạo Chương trình 01-CTr/TU về “Nâng cao năng lực lãnh đạo, sức chiến đấu của tổ chức Đảng "
        "và chất lượng đội ngũ cán bộ, đảng viên trong toàn Đảng bộ; tiếp tục thực hiện Nghị quyết Trung "
        "ương 4 (khóa XI) tạo chuyển biến mạnh về công tác xây dựng, chỉnh đốn Đảng; xây dựng hệ thống "
        "chính trị các cấp thực sự trong sạch, vững mạnh giai đoạn 2016-2020” chủ trì phiên họp kiểm điểm "
        "công tác, đánh giá kết quả hoạt động những tháng đầu năm; thảo luận, thông qua một số nhiệm vụ "
        "trọng tâm những tháng cuối năm 2019.",
        last="Trưởng Ban Chỉ đạo Chương trình 01 cũng đề nghị các đơn vị chủ trì 8 chuyên đề báo cáo "
        "kết quả thực hiện để chủ động, tiến hành tổng kết Chương trình 01 vào cuối năm nay.",
        author=None,
    ),
    "2020-07-10-hai-ba-trung-giao-ban-xay-dung-dang.txt": dict(
        title="Quận ủy Hai Bà Trưng tổ chức giao ban công tác xây dựng Đảng khối Hành chính sự nghiệp "
        "6 tháng đầu năm 2020",
        date=dt.datetime(2020, 7, 10, 17, 0),
        first="Chiều ngày 09/7/2020, Quận ủy Hai Bà Trưng tổ chức giao ban công tác xây dựng Đảng khối "
        "Hành chính sự nghiệp 6 tháng đầu năm 2020.",
        last="Trong thời gian tới, đồng chí đề nghị các đơn vị cần chú trọng một số nhiệm vụ: tiếp tục "
        "các biện pháp phòng chống dịch covid-19 trong tình hình mới; tổ chức quán triệt, tuyên truyền, sơ "
        "kết, tổng kết các Chỉ thị, Nghị quyết của Trung ương, Thành phố và Quận, quan tâm tuyên truyền, "
        "trang trí, cổ động trực quan và thi đua lập thành tích chào mừng Đại hội Đảng bộ quận Hai Bà "
        "Trưng lần thứ XXVI, Đại hội Đảng bộ thành phố Hà Nội lần thứ XVII, hướng tới Đại hội đại biểu "
        "toàn quốc lần thứ XIII của Đảng; quán triệt sâu rộng trong cán bộ, đảng viên, người lao động về "
        "Nghị quyết và Chương trình hành động thực hiện Nghị quyết Đại hội Đảng bộ Quận lần thứ XXVI, Đại "
        "hội Đảng bộ (Chi bộ) cơ sở; tăng cường thực hiện chuyên đề năm 2020 gắn với việc thực hiện Nghị "
        "quyết Trung ương 4 (khóa XI, khóa XII); nâng cao chất lượng sinh hoạt chi bộ, đẩy mạnh công tác "
        "phát triển Đảng; lãnh đạo thực hiện tốt các nhiệm vụ chuyên môn; thường xuyên nắm bắt tình hình "
        "tư tưởng cán bộ, công chức, viên chức tại đơn vị; tích cực đấu tranh, phản bác các luận điệu sai "
        "trái của các thế lực thù địch, đặc biệt trong dịp Đại hội Đảng các cấp cũng như các dịp kỷ niệm "
        "lớn của đất nước, Thủ đô.",
        author=None,
    ),
    "2020-11-06-dang-bo-khoi-tinh-chuong-trinh-toan-khoa.txt": dict(
        title="Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh thông qua Chương trình công tác toàn khóa "
        "và xác định một số nhiệm vụ trọng tâm",
        date=dt.datetime(2020, 11, 6, 16, 17),
        first="Ban Chấp hành Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh vừa tổ chức Hội nghị Ban "
        "Chấp hành mở rộng lần thứ 2.",
        last="Để tiếp tục thực hiện tốt nhiệm vụ trong thời gian tới, đồng chí Bí thư Đảng ủy Khối đề "
        "nghị các đảng bộ, chi bộ phát huy những kết quả đạt được trong 10 tháng đầu năm 2020, tiếp tục nỗ "
        "lực thực hiện có hiệu quả các nhiệm vụ chính trị và công tác xây dựng Đảng những tháng cuối năm, "
        "trọng tâm là tổ chức học tập, quán triệt, triển khai thực hiện Nghị quyết Đại hội Đảng bộ Khối "
        "lần thứ XVI, Đại hội Đảng bộ tỉnh lần XIX; rà soát, hoàn thành tốt, hoàn thành xuất sắc nhiệm vụ "
        "năm 2020; tổ chức kiểm điểm, đánh giá, xếp loại tổ chức đảng, đảng viên và tập thể, cá nhân cán "
        "bộ lãnh đạo, quản lý; tổng kết công tác xây dựng Đảng năm 2020 đảm bảo yêu cầu, kế hoạch đề ra.",
        author="Phan Xuân Bính (Đảng ủy Khối các cơ quan và doanh nghiệp tỉnh)",
    ),
    "2021-08-24-hai-phong-thuong-truc-thanh-uy-giao-ban.txt": dict(
        title="Thường trực Thành ủy giao ban với các ban của Thành ủy và Thường trực các cấp ủy trực "
        "thuộc Thành ủy",
        date=dt.datetime(2021, 8, 24, 21, 30),
        first="Chiều 24/8, đồng chí Đỗ Mạnh Hiến, Phó Bí thư Thường trực Thành ủy chủ trì Hội nghị giao "
        "ban với các ban của Thành ủy và Thường trực các cấp ủy trực thuộc Thành ủy.",
        last="Trong phát triển kinh tế-xã hội tiếp tục quan tâm đến một số công việc như: công tác giải "
        "phóng mặt bằng, xây dựng nông thôn mới; thu ngân sách; bảo đảm tốt công tác an ninh chính trị, "
        "trật tự an toàn xã hội.",
        author="Hoàng Tùng",
    ),
}


FURNITURE = (
    "Print",
    "EmailPrintAa",
    "Lượt xem",
    "View count",
    "cookies",
    "Read More",
    "Tin khác",
    "Tiện ích thông tin",
    "QR",
    "Ý kiến bạn đọc",
    "TIN TỨC NỔI BẬT",
    "Gốc",
    "Hồi 23h31'",
    "Fanpage",
    "\u00a0",
)


@pytest.fixture(scope="module")
def corpus() -> dict[str, Document]:
    return {doc.id: doc for doc in load(SAMPLE_CORPUS, clean_pages=True)}


def test_sample_corpus_has_the_five_articles_in_name_order(corpus):
    assert list(corpus) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_corpus_document(corpus, name):
    expected = SAMPLES[name]
    doc = corpus[name]
    assert doc.title == expected["title"]
    assert doc.date == expected["date"]
    # Whole sentences: the first ends where a space or the paragraph's end follows it.
    assert (doc.body + "\n").startswith((expected["first"] + " ", expected["first"] + "\n"))
    assert doc.body.endswith(("\n" + expected["last"], ". " + expected["last"]))
    assert doc.fields.get("author") == expected["author"]
    for junk in FURNITURE:
        assert junk not in doc.body, junk
    assert doc.source == os.path.join(str(SAMPLE_CORPUS), name)
    assert unicodedata.is_normalized("NFC", doc.body)


def test_sample_corpus_files_are_stored_unedited():
    # The raw pages keep their furniture: the loader, not a hand edit, cleans them.
    raw = (SAMPLE_CORPUS / "2021-08-24-hai-phong-thuong-truc-thanh-uy-giao-ban.txt").read_text("utf-8")
    assert raw.startswith("Print Thứ Ba, 24/08/2021 21:30 Gốc")
    assert raw.endswith("Tin khác")


def test_txt_with_headline_and_date_line(tmp_path):
    path = write(
        tmp_path / "bai.txt",
        "Hà Nội khai mạc lễ hội mùa thu\n"
        "EmailPrintAa\n"
        "Cập nhật: 16:17 06/11/2020 | Lượt xem: 1.204\n\n"
        "Sáng nay, lễ hội mùa thu đã khai mạc tại Hà Nội với nhiều hoạt động văn hóa đặc sắc.\n\n"
        "Lễ hội kéo dài đến hết tháng.\n\n"
        "Tin liên quan\n"
        "Lễ hội năm ngoái thu hút du khách…\n",
    )
    (doc,) = load(path, clean_pages=True)
    assert doc.id == "bai.txt"
    assert doc.title == "Hà Nội khai mạc lễ hội mùa thu"
    assert doc.date == dt.datetime(2020, 11, 6, 16, 17)
    assert doc.body == (
        "Sáng nay, lễ hội mùa thu đã khai mạc tại Hà Nội với nhiều hoạt động văn hóa đặc sắc.\n\n"
        "Lễ hội kéo dài đến hết tháng."
    )


def test_txt_title_from_lead_sentence(tmp_path):
    path = write(tmp_path / "bai.txt", "Sáng 30/7, TP. Hà Nội tổ chức hội nghị. Hội nghị kéo dài một ngày.\n")
    (doc,) = load(path, clean_pages=True)
    assert doc.title == "TP. Hà Nội tổ chức hội nghị"
    assert doc.body == "Sáng 30/7, TP. Hà Nội tổ chức hội nghị. Hội nghị kéo dài một ngày."
    assert doc.date is None


def test_markdown_heading_and_front_matter(tmp_path):
    md = write(tmp_path / "a.md", "# Tiêu đề bài viết\n\nNội dung bài viết.\n")
    (doc,) = load(md)
    assert (doc.title, doc.body) == ("Tiêu đề bài viết", "Nội dung bài viết.")
    front = write(
        tmp_path / "b.md",
        "---\ntitle: \"Hòa bình\"\ndate: 2020-07-10\ntags: [thời sự, xã hội]\nauthor: Hoàng Tùng\n---\n"
        "# Không phải tiêu đề này\n\nNội dung.\n",
    )
    (doc,) = load(front)
    assert doc.title == "Hòa bình"
    assert doc.date == dt.datetime(2020, 7, 10)
    assert doc.tags == ("thời sự", "xã hội")
    assert doc.fields["author"] == "Hoàng Tùng"


# --------------------------------------------------------------------------- plain or cleaned

PLAIN = (
    "Ghi chép buổi họp lớp\n\n"
    "Hôm nay cả lớp họp bàn về chuyến đi thực tế vào tháng sau ở Hải Phòng.\n"
    "Bình luận\n"
    "Mọi người góp ý về lịch trình và chi phí của chuyến đi.\n"
    "Print\n"
)


def test_plain_text_is_kept_whole_by_default(tmp_path):
    # Issue 13: a line "Bình luận" used to end every .txt file, losing the text after it.
    (doc,) = load(write(tmp_path / "ghi-chep.txt", PLAIN))
    assert doc.title == "Ghi chép buổi họp lớp"
    assert doc.body == PLAIN.split("\n\n", 1)[1].rstrip("\n")
    assert "Mọi người góp ý" in doc.body and doc.body.endswith("Print")


def test_clean_pages_cuts_a_page_at_its_comments(tmp_path):
    (doc,) = load(write(tmp_path / "ghi-chep.txt", PLAIN), clean_pages=True)
    assert doc.title == "Ghi chép buổi họp lớp"
    assert doc.body == "Hôm nay cả lớp họp bàn về chuyến đi thực tế vào tháng sau ở Hải Phòng."


def test_plain_text_title_rules(tmp_path):
    long_line = "Đây là một đoạn văn dài. " * 20
    (doc,) = load(write(tmp_path / "dai.txt", long_line + "\nDòng hai.\n"))
    assert doc.title == "Đây là một đoạn văn dài" and doc.body == long_line + "\nDòng hai."
    (doc,) = load(write(tmp_path / "mot-dong.md", "# Chỉ một dòng\n"))
    assert (doc.title, doc.body) == ("Chỉ một dòng", "# Chỉ một dòng")


def test_a_long_line_is_text_not_a_toolbar():
    """A line of "aa" (a font-size button's label) repeated is text once it is long: the toolbar
    pattern is tried only on short lines (on a 40 MB line it took 3.4 GB)."""
    from vnsearch.documents.pages import clean_page

    body = "aa" * 5_000
    article = clean_page("Tiêu đề bài viết\n" + body)
    assert article.body == body
    assert clean_page("Tiêu đề bài viết\nAA a+ a- In bài\nNội dung.").body == "Nội dung."
