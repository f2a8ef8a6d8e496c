"""Tests for vnsearch.documents: Document, parse_date, the loaders and the sample corpus."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import pickle
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnsearch.documents import (
    FORMATS,
    Document,
    SkippedRecord,
    documents_from,
    load,
    parse_date,
)
from vnsearch.errors import DocumentError, VnsearchError

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "sample_corpus"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# --------------------------------------------------------------------------- sample corpus

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
    return {doc.id: doc for doc in load(SAMPLE_CORPUS)}


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


# --------------------------------------------------------------------------- Document


def test_document_text_is_nfc_on_construction():
    doc = Document(
        id=nfd("bài-viết"),
        title=nfd("  Hoà bình ở Đà Nẵng "),
        body=nfd("Người dân kỹ lưỡng"),
        tags=[nfd("thời sự"), nfd("thời sự"), " ", nfd("kinh tế")],
        fields={"tác giả": nfd("Hoàng Tùng")},
    )
    assert doc.id == "bài-viết"
    assert doc.title == "Hoà bình ở Đà Nẵng"  # NFC only: "hoà" is not changed to "hòa"
    assert doc.body == "Người dân kỹ lưỡng"
    assert doc.tags == ("thời sự", "kinh tế")
    assert doc.fields["tác giả"] == "Hoàng Tùng"
    assert unicodedata.is_normalized("NFC", doc.title + doc.body)


def test_document_is_frozen_hashable_and_picklable():
    doc = Document(id="1", title="Hà Nội", fields={"tags": ["a", "b"], "meta": {"x": 1}}, source="a.jsonl:1")
    with pytest.raises(AttributeError):
        doc.title = "khác"  # type: ignore[misc]
    with pytest.raises(TypeError):
        doc.fields["new"] = 1  # type: ignore[index]
    assert doc.fields["tags"] == ("a", "b")
    assert hash(doc) == hash(Document(id="1", title="Hà Nội", fields={"tags": ("a", "b"), "meta": {"x": 1}}))
    assert doc == Document(id="1", title="Hà Nội", fields={"tags": ["a", "b"], "meta": {"x": 1}}, source="b")
    assert pickle.loads(pickle.dumps(doc)) == doc


def test_document_dates_are_naive_utc():
    aware = dt.datetime(2020, 7, 10, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert Document(id="1", body="x", date=aware).date == dt.datetime(2020, 7, 10, 10, 0)
    assert Document(id="1", body="x", date=dt.date(2020, 7, 10)).date == dt.datetime(2020, 7, 10)
    assert Document(id="1", body="x", date="10/07/2020 17:00").date == dt.datetime(2020, 7, 10, 17, 0)


def test_document_needs_an_id():
    with pytest.raises(DocumentError, match="non-empty id"):
        Document(id="  ", body="x")
    with pytest.raises(TypeError):
        Document(id="1", title=5)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- from_record


def test_from_record_default_keys():
    doc = Document.from_record(
        {
            "_id": 17,
            "headline": "Hà Nội mở rộng",
            "content": ["Đoạn một.", "Đoạn hai."],
            "Published": "2020-07-10T17:00:00+07:00",
            "link": "https://example.vn/a",
            "categories": "Thời sự; Kinh tế, Xã hội",
            "author": "Hoàng Tùng",
            "views": 426,
            "nested": {"skip": True},
            "empty": "",
        }
    )
    assert doc.id == "17"
    assert doc.title == "Hà Nội mở rộng"
    assert doc.body == "Đoạn một.\n\nĐoạn hai."
    assert doc.date == dt.datetime(2020, 7, 10, 10, 0)
    assert doc.url == "https://example.vn/a"
    assert doc.tags == ("Thời sự", "Kinh tế", "Xã hội")
    assert dict(doc.fields) == {"author": "Hoàng Tùng", "views": 426}


def test_from_record_explicit_fields():
    record = {"ma": "x1", "tieu_de": "Tiêu đề", "noi_dung": "Nội dung", "ngay": "30/07/2019", "a": 1, "b": [1]}
    doc = Document.from_record(
        record, id_field="ma", title_field="tieu_de", body_field="noi_dung", date_field="ngay", fields=["b"]
    )
    assert (doc.id, doc.title, doc.body, doc.date) == ("x1", "Tiêu đề", "Nội dung", dt.datetime(2019, 7, 30))
    assert dict(doc.fields) == {"b": (1,)}
    assert dict(Document.from_record(record, body_field="noi_dung", fields=False).fields) == {}


def test_from_record_without_text():
    with pytest.raises(DocumentError, match=r"has no text \(expected a 'body' or 'title' key\)"):
        Document.from_record({"id": 1, "url": "https://example.vn"})
    with pytest.raises(DocumentError, match="expected a 'noi_dung' or 'title' key"):
        Document.from_record({"id": 1, "body": "x"}, body_field="noi_dung")


def test_from_record_bad_date_names_the_value():
    with pytest.raises(DocumentError, match="bad date in 'date': cannot read 'hôm qua' as a date"):
        Document.from_record({"body": "x", "date": "hôm qua"})


def test_from_record_without_id_uses_a_content_hash():
    a = Document.from_record({"title": "Hà Nội", "body": "Thủ đô"})
    b = Document.from_record({"title": nfd("Hà Nội"), "body": nfd("Thủ đô")})
    c = Document.from_record({"title": "Hà Nội", "body": "Thủ đô!"})
    assert a.id == b.id != c.id
    assert a.id.startswith("doc-") and len(a.id) == 20
    assert Document.from_record({"body": "x"}, default_id="f.jsonl:3").id == "f.jsonl:3"


def test_from_record_refuses_objects_as_text():
    with pytest.raises(DocumentError, match="'body' must be text, not an object"):
        Document.from_record({"body": {"vi": "x"}})


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2020-07-10", dt.datetime(2020, 7, 10)),
        ("2020-07-10T17:00", dt.datetime(2020, 7, 10, 17, 0)),
        ("2020-07-10 17:00:05.5", dt.datetime(2020, 7, 10, 17, 0, 5, 500000)),
        ("2020-07-10T10:00:00Z", dt.datetime(2020, 7, 10, 10, 0)),
        ("2020-07-10T17:00:00+07:00", dt.datetime(2020, 7, 10, 10, 0)),
        ("2020-07-10T17:00+0700", dt.datetime(2020, 7, 10, 10, 0)),
        ("2020/07/10", dt.datetime(2020, 7, 10)),
        ("2020-07", dt.datetime(2020, 7, 1)),
        ("2020", dt.datetime(2020, 1, 1)),
        (2020, dt.datetime(2020, 1, 1)),
        ("20200710", dt.datetime(2020, 7, 10)),
        ("10/07/2020", dt.datetime(2020, 7, 10)),
        ("06/11/2020", dt.datetime(2020, 11, 6)),  # day first, always
        ("10-07-2020 17:00", dt.datetime(2020, 7, 10, 17, 0)),
        ("Ngày đăng 10/07/2020 | 17:00", dt.datetime(2020, 7, 10, 17, 0)),
        ("16:17 06/11/2020", dt.datetime(2020, 11, 6, 16, 17)),
        ("Print Thứ Ba, 24/08/2021 21:30 Gốc", dt.datetime(2021, 8, 24, 21, 30)),
        ("30/07/2019 | 5:00 PM", dt.datetime(2019, 7, 30, 17, 0)),
        ("30/07/2019 12:15 AM", dt.datetime(2019, 7, 30, 0, 15)),
        ("Cập nhật lúc 17h30 ngày 10/7/2020 (GMT+7)", dt.datetime(2020, 7, 10, 17, 30)),
        ("ngày 10 tháng 7 năm 2020", dt.datetime(2020, 7, 10)),
        ("Fri, 10 Jul 2020 17:00:00 +0700", dt.datetime(2020, 7, 10, 10, 0)),
        (1594375200, dt.datetime(2020, 7, 10, 10, 0)),
        (1594375200000, dt.datetime(2020, 7, 10, 10, 0)),
        ("1594375200", dt.datetime(2020, 7, 10, 10, 0)),
        (1594375200.5, dt.datetime(2020, 7, 10, 10, 0, 0, 500000)),
        (dt.date(2020, 7, 10), dt.datetime(2020, 7, 10)),
        (None, None),
        ("  ", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    ["hôm qua", "31/02/2020", "2020-13-01", "10/07/2020 và 11/07/2020 nữa", "12345", True, [2020], float("nan"), 1e300],
)
def test_parse_date_refuses_garbage(value):
    with pytest.raises(DocumentError) as info:
        parse_date(value)
    assert isinstance(info.value, ValueError)
    assert info.value.path is None


# --------------------------------------------------------------------------- line formats


def test_jsonl(tmp_path):
    path = write(
        tmp_path / "tin.jsonl",
        jsonl({"id": "a", "title": "Hà Nội", "body": "Thủ đô"})
        + "\n   \n"
        + jsonl({"title": "Đà Nẵng", "text": "Thành phố biển", "date": "2020-07-10"}),
    )
    docs = list(load(path))
    assert [d.id for d in docs] == ["a", "tin.jsonl:4"]
    assert docs[1].source == f"{path}:4"
    assert docs[1].date == dt.datetime(2020, 7, 10)


def test_ndjson_gz_and_format_override(tmp_path):
    path = tmp_path / "tin.ndjson.gz"
    path.write_bytes(gzip.compress(jsonl({"body": "Hà Nội"}).encode()))
    assert [d.id for d in load(path)] == ["tin.ndjson.gz:1"]
    other = write(tmp_path / "tin.data", jsonl({"body": "Huế"}))
    assert [d.body for d in load(other, format="jsonl")] == ["Huế"]
    with pytest.raises(DocumentError, match=r"unknown file type '.data'"):
        load(other)
    with pytest.raises(DocumentError, match="unknown format 'xml'"):
        load(other, format="xml")


def test_malformed_jsonl_line_names_path_and_line(tmp_path):
    path = write(tmp_path / "tin.jsonl", jsonl({"body": "một"}) + '{"body": "hai",\n' + jsonl({"body": "ba"}))
    docs = load(path)
    assert next(docs).body == "một"  # streamed: the good line comes before the error
    with pytest.raises(DocumentError) as info:
        next(docs)
    assert str(info.value).startswith(f"{path}:2: not valid JSON")
    assert (info.value.path, info.value.line) == (str(path), 2)


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = write(tmp_path / "tin.jsonl", '["Hà Nội"]\n')
    with pytest.raises(DocumentError, match=r":1: expected a JSON object, found a list"):
        list(load(path))


def test_skip_mode_reports_and_continues(tmp_path):
    path = write(
        tmp_path / "tin.jsonl",
        jsonl({"body": "một"}) + "{oops\n" + jsonl({"id": 3, "url": "x"}) + jsonl({"body": "bốn", "date": "??"})
        + jsonl({"body": "năm"}),
    )
    skipped: list[SkippedRecord] = []
    docs = list(load(path, errors="skip", on_skip=skipped.append))
    assert [d.body for d in docs] == ["một", "năm"]
    assert [(s.path, s.line) for s in skipped] == [(str(path), 2), (str(path), 3), (str(path), 4)]
    assert "not valid JSON" in skipped[0].reason
    assert "has no text" in skipped[1].reason
    assert "bad date" in skipped[2].reason and "'??'" in skipped[2].reason
    assert str(skipped[1]).startswith(f"{path}:3: has no text")
    assert [d.body for d in load(path, errors="skip")] == ["một", "năm"]  # no callback: dropped
    with pytest.raises(ValueError):
        load(path, errors="ignore")  # type: ignore[arg-type]


def test_json_array(tmp_path):
    records = [{"title": "Hà Nội", "body": "một"}, {"id": "x", "body": "hai"}, {"body": "ba"}]
    path = write(tmp_path / "tin.json", json.dumps(records, ensure_ascii=False, indent=2))
    docs = list(load(path))
    assert [d.id for d in docs] == ["tin.json[0]", "x", "tin.json[2]"]
    assert docs[0].source == f"{path}:2"


def test_json_array_bad_item_names_record_index(tmp_path):
    path = write(tmp_path / "tin.json", '[{"body": "một"},\n {"title": ""},\n 5]')
    with pytest.raises(DocumentError) as info:
        list(load(path))
    assert str(info.value).startswith(f"{path}:2: item [1]: has no text")
    skipped: list[SkippedRecord] = []
    assert [d.body for d in load(path, errors="skip", on_skip=skipped.append)] == ["một"]
    assert [s.reason for s in skipped] == [
        "item [1]: has no text (expected a 'body' or 'title' key)",
        "item [2]: expected a JSON object, found a number",
    ]


def test_json_object_per_line_and_single_object(tmp_path):
    lines = write(tmp_path / "a.json", '{"body": "một"}\n{"body": "hai"}\n')
    assert [d.id for d in load(lines)] == ["a.json:1", "a.json:2"]
    single = write(tmp_path / "b.json", '{"body": "một", "id": 7}')
    assert [d.id for d in load(single)] == ["7"]
    broken = write(tmp_path / "c.json", '[{"body": "một"},\n{"body": tru}]')
    with pytest.raises(DocumentError, match=r"c.json:2: not valid JSON"):
        list(load(broken))


def test_json_array_streams_across_chunks(tmp_path):
    records = [{"body": f"Bài số {i} " + "x" * 50, "n": 12345678901234567890 + i} for i in range(3000)]
    path = write(tmp_path / "big.json", json.dumps(records, ensure_ascii=False))  # one long line
    docs = list(load(path))
    assert len(docs) == 3000
    assert docs[-1].fields["n"] == 12345678901234567890 + 2999
    assert docs[2999].id == "big.json[2999]"


def test_csv(tmp_path):
    path = write(
        tmp_path / "tin.csv",
        'id,Title,body,tags,date,views\n'
        '1,Hà Nội,"Thủ đô, ""trái tim""\nvà dòng hai",thời sự;xã hội,10/07/2020,426\n'
        '\n'
        ',Huế,Cố đô,,,\n',
    )
    docs = list(load(path))
    assert [d.id for d in docs] == ["1", "tin.csv:5"]
    assert docs[0].body == 'Thủ đô, "trái tim"\nvà dòng hai'
    assert docs[0].title == "Hà Nội"
    assert docs[0].tags == ("thời sự", "xã hội")
    assert docs[0].date == dt.datetime(2020, 7, 10)
    assert dict(docs[0].fields) == {"views": "426"}
    assert docs[1].source == f"{path}:5"


def test_csv_bad_rows(tmp_path):
    path = write(tmp_path / "tin.csv", "title,body\nA,một\nB,hai,thừa\nC,\n,\nD,bốn,\n")
    with pytest.raises(DocumentError, match=r"tin.csv:3: has 3 cells but the header has 2"):
        list(load(path))
    skipped: list[SkippedRecord] = []
    docs = list(load(path, errors="skip", on_skip=skipped.append))
    assert [d.title for d in docs] == ["A", "C", "D"]  # a title alone is text; trailing empty cell is fine
    assert [s.line for s in skipped] == [3]
    dupes = write(tmp_path / "dupes.csv", "body,body\nx,y\n")
    with pytest.raises(DocumentError, match="names column 'body' twice"):
        list(load(dupes))


def test_tsv(tmp_path):
    path = write(tmp_path / "tin.tsv", "title\tbody\nHà Nội\tThủ đô, nghìn năm\n")
    (doc,) = load(path)
    assert (doc.id, doc.title, doc.body) == ("tin.tsv:2", "Hà Nội", "Thủ đô, nghìn năm")


# --------------------------------------------------------------------------- encodings

VI_RECORD = {"title": "Hòa bình", "body": "Đà Nẵng, Huế và Hà Nội"}


@pytest.mark.parametrize(
    "encoding, bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")]
)
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".txt"])
def test_encodings(tmp_path, encoding, bom, suffix):
    if suffix == ".jsonl":
        text = jsonl(VI_RECORD)
    elif suffix == ".csv":
        text = "title,body\r\nHòa bình,\"Đà Nẵng, Huế và Hà Nội\"\r\n"
    else:
        text = "Hòa bình\r\n\r\nĐà Nẵng, Huế và Hà Nội\r\n"
    path = write(tmp_path / f"tin{suffix}", bom + text.encode(encoding))
    (doc,) = load(path)
    assert (doc.title, doc.body) == (VI_RECORD["title"], VI_RECORD["body"])


@pytest.mark.parametrize(
    "codec, encoded, title",
    [
        ("cp1258", b"H\xe0 N\xf4\xf2i", "Hà Nội"),  # Windows-1258 writes "ộ" as "ô" + combining dot
        ("latin-1", b"H\xe0 N\xf4i", "Hà Nôi"),
    ],
)
def test_legacy_encoding_is_an_error_naming_the_file(tmp_path, codec, encoded, title):
    data = b'{"body": "ok"}\n{"title": "' + encoded + b'"}\n'
    path = write(tmp_path / "cu.jsonl", data)
    docs = load(path)
    assert next(docs).body == "ok"
    with pytest.raises(DocumentError) as info:
        next(docs)
    offset = data.index(b"\xe0")
    assert str(info.value) == (
        f"{path}:2: is not UTF-8 or UTF-16 (found byte 0xe0 at offset {offset}); re-save it as UTF-8"
    )
    assert [d.title for d in load(path, encoding=codec)][1] == title


def test_binary_file_with_a_known_suffix(tmp_path):
    path = write(tmp_path / "anh.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DocumentError, match=r"anh.txt: is a binary file"):
        list(load(path))
    utf16 = write(tmp_path / "khong-bom.jsonl", jsonl(VI_RECORD).encode("utf-16-le"))
    with pytest.raises(DocumentError, match="UTF-16 without a byte-order mark"):
        list(load(utf16))


# --------------------------------------------------------------------------- text files


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
    (doc,) = load(path)
    assert doc.id == "bai.txt"
    assert doc.title == "Hà Nội khai mạc lễ hội mùa thu"
    assert doc.date == dt.datetime(2020, 11, 6, 16, 17)
    assert doc.body == (
        "Sáng nay, lễ hội mùa thu đã khai mạc tại Hà Nội với nhiều hoạt động văn hóa đặc sắc.\n\n"
        "Lễ hội kéo dài đến hết tháng."
    )


def test_txt_title_from_lead_sentence(tmp_path):
    path = write(tmp_path / "bai.txt", "Sáng 30/7, TP. Hà Nội tổ chức hội nghị. Hội nghị kéo dài một ngày.\n")
    (doc,) = load(path)
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


# --------------------------------------------------------------------------- folders and paths


def test_folder_recursion_order_and_stable_ids(tmp_path):
    root = tmp_path / "kho"
    write(root / "b.jsonl", jsonl({"body": "b1"}, {"body": "b2"}))
    write(root / "a" / "z.txt", "Nội dung z.")
    write(root / "a" / nfd("ă.txt"), nfd("Nội dung ă."))  # as macOS names it: ids are NFC
    write(root / "c.csv", "body\nc1\n")
    write(root / "a.json", '[{"body": "a0"}]')
    write(root / ".an" / "x.txt", "ẩn")
    write(root / ".ẩn.txt", "ẩn")
    write(root / "ghi-chu.docx", b"\x00\x01binary")
    write(root / "README", "không có đuôi")
    first = [(d.id, d.body) for d in load(root)]
    assert first == [
        ("a/z.txt", "Nội dung z."),
        ("a/ă.txt", "Nội dung ă."),
        ("a.json[0]", "a0"),
        ("b.jsonl:1", "b1"),
        ("b.jsonl:2", "b2"),
        ("c.csv:2", "c1"),
    ]
    assert [(d.id, d.body) for d in load(str(root))] == first
    (root / "ghi-chu.docx").unlink()
    assert [d.id for d in load(root, format="txt")][:3] == ["README", "a/z.txt", "a/ă.txt"]


def test_folder_skip_mode_skips_a_bad_file(tmp_path):
    write(tmp_path / "a.txt", "Một bài viết.")
    write(tmp_path / "b.txt", b"H\xe0 N\xf4\xf2i")  # "Hà Nội" in Windows-1258
    write(tmp_path / "c.txt", "Bài viết khác.")
    with pytest.raises(DocumentError, match=r"b.txt:1: is not UTF-8"):
        list(load(tmp_path))
    skipped: list[SkippedRecord] = []
    assert [d.id for d in load(tmp_path, errors="skip", on_skip=skipped.append)] == ["a.txt", "c.txt"]
    assert skipped[0].path == str(tmp_path / "b.txt")


def test_empty_inputs_yield_nothing(tmp_path):
    for name in ("a.jsonl", "b.json", "c.csv", "d.txt", "e.tsv"):
        assert list(load(write(tmp_path / "files" / name, b""))) == []
    assert list(load(write(tmp_path / "f.txt", " \n\n"))) == []
    (tmp_path / "empty").mkdir()
    assert list(load(tmp_path / "empty")) == []


def test_missing_path(tmp_path):
    with pytest.raises(DocumentError, match="no such file or folder") as info:
        load(tmp_path / "khong-co.jsonl")
    assert info.value.path == str(tmp_path / "khong-co.jsonl")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    path = write(tmp_path / "khoa.jsonl", jsonl({"body": "x"}))
    path.chmod(0)
    try:
        with pytest.raises(DocumentError, match="permission denied"):
            list(load(path))
    finally:
        path.chmod(0o644)


def test_permission_denied_is_a_document_error(tmp_path, monkeypatch):
    import vnsearch.documents as documents

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    path = write(tmp_path / "khoa.jsonl", jsonl({"body": "x"}))
    monkeypatch.setattr(documents, "open", refuse, raising=False)
    with pytest.raises(DocumentError, match="khoa.jsonl: cannot read it: permission denied"):
        list(load(path))
    skipped: list[SkippedRecord] = []
    assert list(load(tmp_path, errors="skip", on_skip=skipped.append)) == []
    assert [s.reason for s in skipped] == ["cannot read it: permission denied"]


def test_bad_gzip(tmp_path):
    path = write(tmp_path / "hong.jsonl.gz", b"not gzip at all")
    with pytest.raises(DocumentError, match="not a valid gzip file"):
        list(load(path))


# --------------------------------------------------------------------------- documents_from


def test_documents_from():
    existing = Document(id="d", body="sẵn có")
    docs = list(documents_from([{"title": nfd("Hà Nội")}, existing, {"id": 5, "body": "năm"}]))
    assert docs[0].title == "Hà Nội" and docs[0].id.startswith("doc-")
    assert docs[1] is existing
    assert docs[2].id == "5"
    again = list(documents_from([{"title": "Hà Nội"}]))
    assert again[0].id == docs[0].id


def test_documents_from_errors_name_the_record_index():
    records = [{"body": "một"}, {"url": "x"}, "không phải dict", {"body": "bốn"}]
    with pytest.raises(DocumentError, match=r"^record 2: has no text"):
        list(documents_from(records))
    skipped: list[SkippedRecord] = []
    docs = list(documents_from(records, errors="skip", on_skip=skipped.append))
    assert [d.body for d in docs] == ["một", "bốn"]
    assert [(s.path, s.line) for s in skipped] == [(None, 2), (None, 3)]  # 1-based, like lines
    assert str(skipped[1]) == "record 3: expected a dict or a Document, found a string"


def test_formats_constant():
    assert FORMATS == ("txt", "md", "jsonl", "json", "csv", "tsv")


# --------------------------------------------------------------------------- properties

_fragments = st.sampled_from(
    [b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"\r\n", b"\t", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe",
     b'"body"', b'"title"', b'"date"', b'"id"', b"null", b"1e999", b"-", b"10/07/2020", b"\\u00e0", b"\\ud800",
     "Hà Nội".encode(), "Tin khác".encode(), b"QR CODE: x", b"\xe0", b"\xc3", b"...", "…".encode(), b"#", b"---"]
)
_payloads = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.lists(_fragments | st.binary(max_size=5), max_size=40).map(b"".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=_payloads, suffix=st.sampled_from([".jsonl", ".csv", ".txt", ".json", ".tsv", ".md", ".jsonl.gz"]))
def test_load_raises_only_document_errors(tmp_path, payload, suffix):
    path = tmp_path / f"x{suffix}"
    path.write_bytes(gzip.compress(payload) if suffix.endswith(".gz") else payload)
    try:
        docs = list(load(path))
    except VnsearchError as error:
        assert isinstance(error, DocumentError)
    else:
        assert all(isinstance(d, Document) and d.id for d in docs)
    skipped: list[SkippedRecord] = []
    docs = list(load(path, errors="skip", on_skip=skipped.append))  # skip mode never raises
    assert all(isinstance(d, Document) for d in docs)
    assert all(isinstance(s, SkippedRecord) for s in skipped)
