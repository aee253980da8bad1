//! Printable documents (HTML with print CSS): the receipt slip and the apology letter.

use serde_json::Value;

pub use domain::certificate::print::escape;

fn s(v: &Value) -> String {
    escape(&match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// A date ("2026-11-23") or an instant (shown on its Vietnam day) as "ngày 23 tháng 11 năm 2026".
fn ngay(v: &Value) -> String {
    let text = v.as_str().unwrap_or_default();
    let date = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| crate::service::dossiers::local_day(t.with_timezone(&chrono::Utc)))
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
    match date {
        Some(d) => format!("ngày {} tháng {} năm {}", d.format("%d"), d.format("%m"), d.format("%Y")),
        None => escape(text),
    }
}

const STYLE: &str = "<style>@page{size:A4;margin:20mm}body{font-family:'Times New Roman',serif;font-size:13pt;line-height:1.4;max-width:170mm;margin:auto}\
h1{font-size:15pt;text-align:center;text-transform:uppercase}.head{display:flex;justify-content:space-between;text-align:center;font-weight:bold}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #000;padding:2pt 4pt}.sign{display:flex;justify-content:space-between;margin-top:24pt;text-align:center}</style>";

fn header(view: &Value) -> String {
    format!(
        "<div class=head><div>VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI<br>Tỉnh/thành phố mã {}</div><div>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br>Độc lập - Tự do - Hạnh phúc</div></div>",
        s(&view["province_code"])
    )
}

/// Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
pub fn receipt_slip(view: &Value) -> String {
    let documents: String = view["documents"]
        .as_array()
        .map(|docs| {
            docs.iter()
                .map(|d| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                        s(&d["position"]),
                        s(&d["title"]),
                        s(&d["copies"])
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=vi><meta charset=utf-8><title>Giấy tiếp nhận hồ sơ {receipt}</title>{STYLE}<body>{header}\
<h1>Giấy tiếp nhận hồ sơ và hẹn trả kết quả</h1><p>Mã hồ sơ: <b>{receipt}</b></p>\
<p>Tiếp nhận hồ sơ của: <b>{applicant}</b></p><p>Nội dung yêu cầu giải quyết: {procedure} (mã thủ tục {code})</p>\
<p>Địa bàn: {commune}. Hình thức nộp: {channel}.</p><p>Thành phần hồ sơ:</p>\
<table><tr><th>STT</th><th>Tên giấy tờ</th><th>Số lượng</th></tr>{documents}</table>\
<p>Thời hạn giải quyết: {days} ngày làm việc.</p><p>Thời gian nhận hồ sơ: {received}.</p>\
<p><b>Thời gian trả kết quả: {due}</b>.</p>\
<p>Tra cứu tình trạng hồ sơ (trang tra cứu công khai): số biên nhận <b>{receipt}</b> và mã tra cứu <b>{tracking}</b> \
(giữ kín mã này: ai có mã đều xem được tình trạng hồ sơ).</p>\
<div class=sign><div>NGƯỜI NỘP HỒ SƠ<br><i>(ký, ghi rõ họ tên)</i></div><div>NGƯỜI TIẾP NHẬN HỒ SƠ<br><i>(ký, ghi rõ họ tên)</i></div></div></body></html>",
        receipt = s(&view["receipt_no"]),
        header = header(view),
        applicant = s(&view["applicant"]["name"]),
        procedure = s(&view["procedure"]["name"]),
        code = s(&view["procedure"]["code"]),
        commune = s(&view["commune"]["name"]),
        channel = s(&view["channel"]),
        documents = documents,
        days = s(&view["statutory_working_days"]),
        received = ngay(&view["received_at"]),
        due = ngay(&view["due_on"]),
        tracking = s(&view["tracking_code"]),
    )
}

/// Văn bản xin lỗi và hẹn lại ngày trả kết quả.
pub fn apology_letter(view: &Value, letter: &Value) -> String {
    format!(
        "<!doctype html><html lang=vi><meta charset=utf-8><title>Văn bản xin lỗi {receipt}</title>{STYLE}<body>{header}\
<h1>Văn bản xin lỗi và hẹn lại ngày trả kết quả</h1><p>Kính gửi: <b>{applicant}</b></p>\
<p>Ngày {received}, cơ quan chúng tôi tiếp nhận hồ sơ mã <b>{receipt}</b> ({procedure}), hẹn trả kết quả {due}.</p>\
<p>Hồ sơ chưa được giải quyết đúng hạn. Lý do: {reason}.</p>\
<p>Chúng tôi thành thật xin lỗi và hẹn trả kết quả vào <b>{new_due}</b>.</p>\
<div class=sign><div></div><div>THỦ TRƯỞNG CƠ QUAN<br><i>(ký, ghi rõ họ tên, đóng dấu)</i></div></div></body></html>",
        receipt = s(&view["receipt_no"]),
        header = header(view),
        applicant = s(&view["applicant"]["name"]),
        received = ngay(&view["received_at"]),
        procedure = s(&view["procedure"]["name"]),
        due = ngay(&view["due_on"]),
        reason = s(&letter["reason"]),
        new_due = ngay(&letter["new_due_on"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slip_shows_the_promised_date_in_vietnamese() {
        let view = serde_json::json!({"receipt_no": "92.261123.0001", "province_code": "92", "applicant": {"name": "<b>Lê</b>"},
            "procedure": {"name": "Cấp đổi", "code": "1.012783"}, "commune": {"name": "Phường Sóc Trăng"}, "channel": "counter",
            "documents": [{"position": 1, "title": "Đơn", "copies": 1}], "statutory_working_days": 5,
            "received_at": "2026-11-22T18:00:00Z", "due_on": "2026-11-30"});
        let html = receipt_slip(&view);
        assert!(html.contains("ngày 30 tháng 11 năm 2026"));
        assert!(html.contains("ngày 23 tháng 11 năm 2026"), "18:00 UTC is the next day in Vietnam");
        assert!(html.contains("&lt;b&gt;Lê&lt;/b&gt;"));
    }
}
