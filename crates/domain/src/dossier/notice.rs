//! Thông báo cho người nộp hồ sơ — what the citizen is told at each step they should hear about,
//! in Vietnamese (Decree 61/2018 Art. 17(3), 19(9): the one-stop unit notifies by email, SMS or
//! the portal). Pure text: the service puts the notice in the outbox in the step's transaction,
//! and a sender delivers it later.

use chrono::NaiveDate;

/// A step the citizen hears about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The online submission arrived (with its number).
    SubmissionReceived,
    /// The desk accepted it as a dossier: receipt number, tracking code, promised date.
    SubmissionAccepted,
    /// The desk refused it, with the grounds.
    SubmissionRefused,
    /// Yêu cầu bổ sung hồ sơ.
    SupplementRequested,
    /// Văn bản xin lỗi và hẹn lại ngày trả kết quả.
    Apology,
    /// The result is ready at the desk (or will be sent).
    ResultReady,
    /// The result went by post, with the postal item number.
    SentByPost,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 7] = [
        NoticeKind::SubmissionReceived,
        NoticeKind::SubmissionAccepted,
        NoticeKind::SubmissionRefused,
        NoticeKind::SupplementRequested,
        NoticeKind::Apology,
        NoticeKind::ResultReady,
        NoticeKind::SentByPost,
    ];

    /// The stored text (`notices.kind`).
    pub const fn as_str(self) -> &'static str {
        match self {
            NoticeKind::SubmissionReceived => "submission_received",
            NoticeKind::SubmissionAccepted => "submission_accepted",
            NoticeKind::SubmissionRefused => "submission_refused",
            NoticeKind::SupplementRequested => "supplement_requested",
            NoticeKind::Apology => "apology",
            NoticeKind::ResultReady => "result_ready",
            NoticeKind::SentByPost => "sent_by_post",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The facts a notice may mention; each kind uses its own.
#[derive(Debug, Clone, Default)]
pub struct NoticeFacts<'a> {
    /// Số hồ sơ trực tuyến.
    pub submission_no: Option<&'a str>,
    /// Số biên nhận of the dossier.
    pub receipt_no: Option<&'a str>,
    /// Mã tra cứu of the dossier.
    pub tracking_code: Option<&'a str>,
    pub procedure_name: &'a str,
    /// The promised date (ngày hẹn trả), or the new one of an apology.
    pub date: Option<NaiveDate>,
    /// A refusal's grounds, a supplement's or an apology's reason.
    pub reason: Option<&'a str>,
    /// Số hiệu bưu gửi.
    pub postal_tracking_no: Option<&'a str>,
}

/// A notice's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeText {
    pub subject: String,
    pub body: String,
}

fn vn_date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".to_string(), |d| d.format("%d/%m/%Y").to_string())
}

/// The notice of `kind` in Vietnamese.
pub fn compose(kind: NoticeKind, f: &NoticeFacts<'_>) -> NoticeText {
    let sub = f.submission_no.unwrap_or("—");
    let receipt = f.receipt_no.unwrap_or("—");
    let reason = f.reason.unwrap_or("—");
    let procedure = f.procedure_name;
    let (subject, lines): (String, Vec<String>) = match kind {
        NoticeKind::SubmissionReceived => (
            format!("Đã nhận hồ sơ nộp trực tuyến số {sub}"),
            vec![
                format!("Hệ thống đã nhận hồ sơ nộp trực tuyến số {sub}, thủ tục: {procedure}."),
                "Bộ phận Một cửa sẽ kiểm tra và tiếp nhận hoặc trả lời trong ngày làm việc; thời hạn giải quyết \
                 được tính từ khi hồ sơ được tiếp nhận."
                    .to_string(),
                "Tra cứu bằng số hồ sơ và mã bí mật trên giấy xác nhận nộp hồ sơ.".to_string(),
            ],
        ),
        NoticeKind::SubmissionAccepted => (
            format!("Hồ sơ {sub} đã được tiếp nhận, số biên nhận {receipt}"),
            vec![
                format!("Hồ sơ nộp trực tuyến số {sub} (thủ tục: {procedure}) đã được tiếp nhận."),
                format!("Số biên nhận: {receipt}. Mã tra cứu: {}.", f.tracking_code.unwrap_or("—")),
                format!("Ngày hẹn trả kết quả: {}.", vn_date(f.date)),
            ],
        ),
        NoticeKind::SubmissionRefused => (
            format!("Hồ sơ {sub} không được tiếp nhận"),
            vec![
                format!("Hồ sơ nộp trực tuyến số {sub} (thủ tục: {procedure}) không được tiếp nhận."),
                format!("Lý do: {reason}"),
                "Các tệp đã tải lên không được lưu giữ; vui lòng nộp lại hồ sơ khi đã hoàn thiện.".to_string(),
            ],
        ),
        NoticeKind::SupplementRequested => (
            format!("Yêu cầu bổ sung hồ sơ {receipt}"),
            vec![
                format!("Hồ sơ số biên nhận {receipt} (thủ tục: {procedure}) cần được bổ sung, hoàn thiện."),
                format!("Nội dung: {reason}"),
                "Thời gian bổ sung hồ sơ không tính vào thời hạn giải quyết.".to_string(),
            ],
        ),
        NoticeKind::Apology => (
            format!("Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {receipt}"),
            vec![
                format!("Cơ quan giải quyết xin lỗi vì hồ sơ số biên nhận {receipt} (thủ tục: {procedure}) chưa thể trả kết quả đúng hẹn."),
                format!("Lý do: {reason}"),
                format!("Ngày hẹn trả kết quả mới: {}.", vn_date(f.date)),
            ],
        ),
        NoticeKind::ResultReady => (
            format!("Đã có kết quả hồ sơ {receipt}"),
            vec![format!(
                "Hồ sơ số biên nhận {receipt} (thủ tục: {procedure}) đã có kết quả; kết quả được trả theo hình thức \
                 đã đăng ký."
            )],
        ),
        NoticeKind::SentByPost => (
            format!("Kết quả hồ sơ {receipt} đã gửi qua bưu chính"),
            vec![
                format!("Kết quả hồ sơ số biên nhận {receipt} (thủ tục: {procedure}) đã được gửi qua dịch vụ bưu chính công ích."),
                format!("Số hiệu bưu gửi: {}.", f.postal_tracking_no.unwrap_or("—")),
            ],
        ),
    };
    NoticeText { subject, body: lines.join("\n") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_in_vietnamese_and_names_its_facts() {
        let facts = NoticeFacts {
            submission_no: Some("TT.92.261127.00001"),
            receipt_no: Some("92.261127.0003"),
            tracking_code: Some("K7M9PQ"),
            procedure_name: "Cấp lại Giấy chứng nhận do bị mất",
            date: NaiveDate::from_ymd_opt(2026, 12, 11),
            reason: Some("Tài liệu đính kèm không đọc được. Ảnh mờ."),
            postal_tracking_no: Some("EB123456789VN"),
        };
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
            let text = compose(kind, &facts);
            assert!(!text.subject.is_empty() && !text.body.is_empty());
        }
        let accepted = compose(NoticeKind::SubmissionAccepted, &facts);
        assert!(accepted.body.contains("92.261127.0003") && accepted.body.contains("K7M9PQ"));
        assert!(accepted.body.contains("11/12/2026"), "{}", accepted.body);
        assert!(compose(NoticeKind::SubmissionRefused, &facts).body.contains("Lý do: Tài liệu đính kèm"));
        assert!(compose(NoticeKind::SentByPost, &facts).body.contains("EB123456789VN"));
        assert!(compose(NoticeKind::Apology, &facts).body.contains("11/12/2026"));
    }
}
