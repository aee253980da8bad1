//! The printable certificate: one A4 sheet, two pages (Circular 10/2024/TT-BTNMT, DOMAIN.md §1),
//! as an HTML document with print CSS. Page 1: QR top right, title, Mã GCN, 1) holders,
//! 2) parcel, 3) assets, 4) notes, place/date/authority, serial. Page 2: 5) the parcel diagram
//! drawn in the VN-2000 plane with each edge's length, 6) changes after issue, Số vào sổ.
//!
//! Every piece of text passes through [`escape`]; the only markup not built here is the QR
//! code's SVG, which the `qrcode` crate draws from modules, never from text.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};
use geo_types::{Coord, LineString, MultiPolygon};

use super::{reason_label, Content, Holder, HolderKind, Member, UseForm};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number the Vietnamese way: `.` between thousands, `,` before decimals ("12.345,6").
pub fn vn_number(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// "23/11/2026".
pub fn vn_date(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// "ngày 23 tháng 11 năm 2026".
pub fn vn_date_words(d: NaiveDate) -> String {
    format!("ngày {:02} tháng {:02} năm {}", d.day(), d.month(), d.year())
}

/// Side of the printed QR code without its quiet zone, millimetres: 2.0 × 2.0 cm (Circular
/// 10/2024 Art. 14, DOMAIN.md §1). The print CSS says the same (`.qr svg`).
pub const QR_SIDE_MM: f64 = 20.0;
/// White margin around the code, millimetres: at least the 4 modules ISO/IEC 18004 asks for,
/// for any version (a version 1 module is 20/21 ≈ 0.95 mm).
pub const QR_QUIET_MM: f64 = 4.0;
const _: () = assert!(QR_QUIET_MM >= 4.0 * QR_SIDE_MM / 21.0, "the quiet zone holds 4 version-1 modules");

/// A QR code drawn for the sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct QrSymbol {
    /// Inline SVG, `viewBox` one unit a module, no quiet zone (the CSS adds it).
    pub svg: String,
    /// QR version 1–40.
    pub version: i16,
    /// Modules across.
    pub modules: usize,
    /// Error correction: 'M', or 'L' when the payload is too long for M.
    pub ec: char,
}

impl QrSymbol {
    /// Side of one module when printed at [`QR_SIDE_MM`].
    pub fn module_mm(&self) -> f64 {
        QR_SIDE_MM / self.modules as f64
    }
}

/// The QR code of a payload (error correction M, or L when the payload is too long for M).
pub fn qr_symbol(payload: &str) -> Option<QrSymbol> {
    use qrcode::render::svg;
    use qrcode::{EcLevel, Version};
    let (code, ec) = match smallest_code(payload.as_bytes(), EcLevel::M) {
        Some(code) => (code, 'M'),
        None => (smallest_code(payload.as_bytes(), EcLevel::L)?, 'L'),
    };
    let version = match code.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    };
    let modules = code.width();
    let svg = code.render::<svg::Color>().quiet_zone(false).module_dimensions(1, 1).build();
    // Inline SVG in HTML takes no XML declaration; the CSS sizes it.
    let svg = svg.split_once("?>").map_or(svg.as_str(), |(_, rest)| rest).replacen(
        "<svg ",
        &format!("<svg class=\"qr-code\" data-version=\"{version}\" data-modules=\"{modules}\" "),
        1,
    );
    Some(QrSymbol { svg, version, modules, ec })
}

/// The smallest code for `data`: the crate's mixed-mode encoding, or all of it in byte mode
/// when that is smaller. The crate's greedy segmentation turns the URL's digit runs into
/// numeric segments whose headers can cost more than they save (212 bytes in byte mode fit
/// version 10 at M; its mix needs version 11).
fn smallest_code(data: &[u8], ec: qrcode::EcLevel) -> Option<qrcode::QrCode> {
    use qrcode::bits::Bits;
    use qrcode::{QrCode, Version};
    let mixed = QrCode::with_error_correction_level(data, ec).ok();
    let bytes = (1..=40).find_map(|v| {
        let mut bits = Bits::new(Version::Normal(v));
        bits.push_byte_data(data).ok()?;
        bits.push_terminator(ec).ok()?;
        QrCode::with_bits(bits, ec).ok()
    });
    match (mixed, bytes) {
        (Some(m), Some(b)) => Some(if b.width() < m.width() { b } else { m }),
        (m, b) => m.or(b),
    }
}

/// The QR code as inline SVG (see [`qr_symbol`]).
pub fn qr_svg(payload: &str) -> Option<String> {
    qr_symbol(payload).map(|s| s.svg)
}

/// Drawing area of the diagram on page 2, millimetres.
const DIAGRAM_W: f64 = 170.0;
const DIAGRAM_H: f64 = 120.0;
const DIAGRAM_MARGIN: f64 = 14.0;
/// Scales the diagram may be drawn at (1:n), the largest that fits is taken.
const SCALES: [u32; 13] = [100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 20_000, 25_000, 50_000, 100_000];

/// Sơ đồ thửa đất: the parcel drawn at a true scale in its VN-2000 plane, numbered vertices,
/// each edge's length (m, 2 decimals), a north arrow (grid north) and the scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    pub svg: String,
    /// Numbered vertices (from 1) in the plane: x = easting, y = northing.
    pub vertices: Vec<(usize, Coord<f64>)>,
    /// The drawing is at 1:`scale` when printed at 100%.
    pub scale: u32,
    /// EPSG code of the plane.
    pub epsg: u32,
}

/// Draws a planar (VN-2000 TM-3, metres) parcel geometry.
pub fn diagram(planar: &MultiPolygon<f64>, epsg: u32) -> Diagram {
    let rings: Vec<&LineString<f64>> =
        planar.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).collect();
    let all: Vec<Coord<f64>> = rings.iter().flat_map(|r| r.0.iter().copied()).collect();
    let (mut min, mut max) = (Coord { x: f64::MAX, y: f64::MAX }, Coord { x: f64::MIN, y: f64::MIN });
    for c in &all {
        min = Coord { x: min.x.min(c.x), y: min.y.min(c.y) };
        max = Coord { x: max.x.max(c.x), y: max.y.max(c.y) };
    }
    if all.is_empty() {
        min = Coord { x: 0.0, y: 0.0 };
        max = min;
    }
    let (dx, dy) = ((max.x - min.x).max(0.01), (max.y - min.y).max(0.01));
    // Denominator needed so the parcel fits inside the margins: metres per millimetre × 1000.
    let needed = (dx / (DIAGRAM_W - 2.0 * DIAGRAM_MARGIN)).max(dy / (DIAGRAM_H - 2.0 * DIAGRAM_MARGIN)) * 1000.0;
    let scale = SCALES
        .iter()
        .copied()
        .find(|s| f64::from(*s) >= needed)
        .unwrap_or(((needed / 100_000.0).ceil() * 100_000.0) as u32);
    let k = 1000.0 / f64::from(scale); // millimetres per metre
    let (ox, oy) = ((DIAGRAM_W - dx * k) / 2.0, (DIAGRAM_H - dy * k) / 2.0);
    // SVG y grows downwards, northing upwards.
    let to_mm = |c: Coord<f64>| Coord { x: ox + (c.x - min.x) * k, y: oy + (max.y - c.y) * k };

    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="diagram" width="{DIAGRAM_W}mm" height="{DIAGRAM_H}mm" viewBox="0 0 {DIAGRAM_W} {DIAGRAM_H}" font-family="Times New Roman, serif">"##
    );
    let _ = write!(
        svg,
        r##"<rect x="0.2" y="0.2" width="{}" height="{}" fill="none" stroke="#000" stroke-width="0.3"/>"##,
        DIAGRAM_W - 0.4,
        DIAGRAM_H - 0.4
    );
    for polygon in &planar.0 {
        let mut d = String::new();
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for (i, c) in ring.0.iter().enumerate() {
                let p = to_mm(*c);
                let _ = write!(d, "{}{:.2} {:.2} ", if i == 0 { "M" } else { "L" }, p.x, p.y);
            }
            d.push_str("Z ");
        }
        let _ = write!(
            svg,
            r##"<path d="{}" fill="#f3efdf" fill-rule="evenodd" stroke="#000" stroke-width="0.4"/>"##,
            d.trim_end()
        );
    }
    let mut vertices = Vec::new();
    for ring in &rings {
        let coords: Vec<Coord<f64>> = open_ring(ring);
        if coords.is_empty() {
            continue;
        }
        let screen: Vec<Coord<f64>> = coords.iter().map(|c| to_mm(*c)).collect();
        let centre = Coord {
            x: screen.iter().map(|c| c.x).sum::<f64>() / screen.len() as f64,
            y: screen.iter().map(|c| c.y).sum::<f64>() / screen.len() as f64,
        };
        for i in 0..coords.len() {
            let (a, b) = (coords[i], coords[(i + 1) % coords.len()]);
            let length = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
            if length < 0.005 {
                continue;
            }
            let (pa, pb) = (screen[i], screen[(i + 1) % screen.len()]);
            let mid = Coord { x: (pa.x + pb.x) / 2.0, y: (pa.y + pb.y) / 2.0 };
            let len_mm = ((pb.x - pa.x).powi(2) + (pb.y - pa.y).powi(2)).sqrt().max(1e-9);
            let dir = Coord { x: (pb.x - pa.x) / len_mm, y: (pb.y - pa.y) / len_mm };
            let mut normal = Coord { x: -dir.y, y: dir.x };
            // Put the label on the side away from the ring's centre (outside the parcel, or
            // inside the parcel for a hole).
            if normal.x * (mid.x - centre.x) + normal.y * (mid.y - centre.y) < 0.0 {
                normal = Coord { x: -normal.x, y: -normal.y };
            }
            let at = Coord { x: mid.x + normal.x * 2.2, y: mid.y + normal.y * 2.2 };
            let mut angle = dir.y.atan2(dir.x).to_degrees();
            if angle > 90.0 {
                angle -= 180.0;
            } else if angle <= -90.0 {
                angle += 180.0;
            }
            let _ = write!(
                svg,
                r##"<text x="{x:.2}" y="{y:.2}" font-size="2.4" text-anchor="middle" dominant-baseline="middle" transform="rotate({angle:.1} {x:.2} {y:.2})">{}</text>"##,
                escape(&vn_number(length, 2)),
                x = at.x,
                y = at.y,
            );
        }
        for (c, p) in coords.iter().zip(&screen) {
            let n = vertices.len() + 1;
            vertices.push((n, *c));
            let away = Coord { x: p.x - centre.x, y: p.y - centre.y };
            let norm = (away.x.powi(2) + away.y.powi(2)).sqrt().max(1e-9);
            let at = Coord { x: p.x + away.x / norm * 2.6, y: p.y + away.y / norm * 2.6 };
            let _ = write!(
                svg,
                r##"<circle cx="{:.2}" cy="{:.2}" r="0.55" fill="#000"/><text x="{:.2}" y="{:.2}" font-size="2.4" font-weight="bold" text-anchor="middle" dominant-baseline="middle">{n}</text>"##,
                p.x, p.y, at.x, at.y
            );
        }
    }
    // North arrow: up is grid north of the TM-3 plane.
    let nx = DIAGRAM_W - 10.0;
    let _ = write!(
        svg,
        r##"<g class="north"><text x="{nx}" y="5" font-size="3.5" font-weight="bold" text-anchor="middle" dominant-baseline="middle">B</text><path d="M{nx} 7.5 L{} 15 L{nx} 13 L{} 15 Z" fill="#000"/><line x1="{nx}" y1="13" x2="{nx}" y2="21" stroke="#000" stroke-width="0.4"/></g>"##,
        nx + 2.5,
        nx - 2.5
    );
    let _ = write!(
        svg,
        r##"<text x="4" y="{}" font-size="3">Tỷ lệ 1:{}</text></svg>"##,
        DIAGRAM_H - 4.0,
        escape(&vn_number(f64::from(scale), 0))
    );
    Diagram { svg, vertices, scale, epsg }
}

/// A ring's vertices without the closing repeat of the first.
fn open_ring(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut coords = ring.0.clone();
    if coords.len() > 1 && coords.first() == coords.last() {
        coords.pop();
    }
    coords
}

/// Status of the certificate at printing time.
#[derive(Debug, Clone, PartialEq)]
pub enum Status<'a> {
    Valid,
    Revoked {
        on: NaiveDate,
        reason: &'a str,
    },
    /// `reason` is the successor's (lost, damaged, exchange, transfer, …).
    Replaced {
        by: &'a str,
        on: NaiveDate,
        reason: &'a str,
    },
}

/// Everything the printed sheet shows.
pub struct Sheet<'a> {
    pub content: &'a Content,
    pub status: Status<'a>,
    /// Inline SVG from [`qr_svg`].
    pub qr_svg: Option<&'a str>,
    pub diagram: &'a Diagram,
}

/// One holder as Circular 10/2024 Art. 32 prints it: "Ông: … và vợ: Bà …", "Hộ ông: …",
/// "Tổ chức: …", each with its identification and address.
fn holder_line(holder: &Holder) -> String {
    let e = escape;
    let (label, id_label) = match (holder.kind, holder.title) {
        (HolderKind::Person, Some(t)) => (format!("{}: ", t.label()), "Số định danh cá nhân"),
        (HolderKind::Person, None) => ("Ông/Bà: ".to_string(), "Số định danh cá nhân"),
        (HolderKind::Household, Some(t)) => {
            (format!("Hộ {}: ", t.label().to_lowercase()), "Số định danh cá nhân của chủ hộ")
        }
        (HolderKind::Household, None) => (String::new(), "Số định danh cá nhân của chủ hộ"),
        (HolderKind::Organisation, _) => ("Tổ chức: ".to_string(), "Mã số"),
        (HolderKind::Religious, _) => ("Cơ sở tôn giáo: ".to_string(), "Mã số"),
        (HolderKind::Community, _) => ("Cộng đồng dân cư: ".to_string(), "Mã số"),
        (HolderKind::ForeignInvested, _) => ("Tổ chức kinh tế có vốn đầu tư nước ngoài: ".to_string(), "Mã số"),
    };
    let mut line = format!("{label}<b>{}</b>", e(&holder.name));
    if let Some(id) = &holder.id_number {
        let _ = write!(line, "; {id_label}: {}", e(id));
    }
    if let (Some(spouse), Some(title)) = (&holder.spouse, holder.title) {
        let _ = write!(line, "; và {}: {}", title_word(title, spouse), member_line(spouse, "Số định danh cá nhân"));
    }
    if let Some(address) = &holder.address {
        let _ = write!(line, "; Địa chỉ: {}", e(address));
    }
    line
}

/// "vợ" or "chồng" of the holder: the spouse's own title says it; failing that, the holder's.
fn title_word(holder_title: super::Title, spouse: &Member) -> &'static str {
    match spouse.title {
        Some(t) => match t {
            super::Title::Ba => "vợ",
            super::Title::Ong => "chồng",
        },
        None => holder_title.spouse_word(),
    }
}

/// "Bà <b>…</b>; Số định danh cá nhân: …" for a spouse or a household member.
fn member_line(m: &Member, id_label: &str) -> String {
    let mut line = match m.title {
        Some(t) => format!("{} <b>{}</b>", t.label(), escape(&m.name)),
        None => format!("<b>{}</b>", escape(&m.name)),
    };
    if let Some(id) = &m.id_number {
        let _ = write!(line, "; {id_label}: {}", escape(id));
    }
    if let Some(relation) = &m.relation {
        let _ = write!(line, " ({})", escape(relation));
    }
    line
}

fn share_text(share: f64) -> String {
    let pct = format!("{:.6}", share * 100.0);
    let pct = pct.trim_end_matches('0').trim_end_matches('.');
    format!("{}%", pct.replace('.', ","))
}

const STYLE: &str = r#"
@page { size: A4; margin: 0; }
* { box-sizing: border-box; }
body { margin: 0; background: #bbb; color: #000; font-family: "Times New Roman", Times, serif; font-size: 12.5pt; line-height: 1.35; }
.page { position: relative; width: 210mm; height: 297mm; margin: 0 auto 8mm; padding: 14mm 16mm 16mm; overflow: hidden; background: #fff; break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
@media print { body { background: none; } .page { margin: 0; } }
p { margin: 0.6mm 0; }
.nation { text-align: center; font-weight: bold; margin-right: 30mm; }
.motto { text-align: center; font-weight: bold; margin-right: 30mm; }
.qr { position: absolute; top: 9mm; right: 11mm; padding: 4mm; background: #fff; }
.qr svg { display: block; width: 20mm; height: 20mm; }
h1 { margin: 9mm 0 2mm; text-align: center; font-size: 14.5pt; color: #b3001b; }
h2 { margin: 3.5mm 0 1mm; font-size: 12.5pt; }
.code { text-align: center; }
ul, ol { margin: 0.5mm 0 0.5mm 6mm; padding: 0; }
ul.plain { list-style: none; margin-left: 2mm; }
.stamp { margin: 2mm 0; padding: 1.5mm 3mm; border: 0.6mm solid #b3001b; color: #b3001b; font-weight: bold; text-align: center; }
.sign { width: 62%; margin: 6mm 0 0 38%; text-align: center; }
.sign .authority { font-weight: bold; text-transform: uppercase; }
.serial { position: absolute; left: 16mm; bottom: 12mm; color: #b3001b; font-weight: bold; }
figure { margin: 1mm 0; }
figcaption { font-size: 9.5pt; font-style: italic; }
ol.coords { column-count: 3; font-size: 9pt; margin-left: 6mm; }
table.changes { width: 100%; border-collapse: collapse; font-size: 11pt; }
table.changes th, table.changes td { border: 0.3mm solid #000; padding: 1.2mm 2mm; vertical-align: top; height: 9mm; }
table.changes .date { width: 22mm; white-space: nowrap; }
table.changes .confirm { width: 52mm; }
table.changes .basis { font-style: italic; }
table.changes .signature { font-size: 9.5pt; font-style: italic; }
.registry { margin-top: 4mm; font-weight: bold; }
.fineprint { margin-top: 3mm; font-size: 9.5pt; font-style: italic; }
"#;

/// Renders the two pages.
pub fn render(sheet: &Sheet) -> String {
    let c = sheet.content;
    let e = escape;
    let mut h = String::new();
    let _ = write!(h, "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Giấy chứng nhận {}</title><style>{STYLE}</style></head><body>", e(&c.serial));

    // Page 1.
    h.push_str("<section class=\"page page-1\">");
    if let Some(qr) = sheet.qr_svg {
        let _ = write!(h, "<div class=\"qr\" title=\"Mã QR\">{qr}</div>");
    }
    h.push_str(
        "<p class=\"nation\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p><p class=\"motto\">Độc lập - Tự do - Hạnh phúc</p>",
    );
    h.push_str("<h1>GIẤY CHỨNG NHẬN<br>QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT</h1>");
    let _ = write!(h, "<p class=\"code\">Mã Giấy chứng nhận: <b>{}</b></p>", e(&c.code));
    match &sheet.status {
        Status::Valid => {}
        Status::Revoked { on, reason } => {
            let _ = write!(h, "<p class=\"stamp\">ĐÃ THU HỒI ngày {} — {}</p>", vn_date(*on), e(reason));
        }
        Status::Replaced { by, on, .. } => {
            let _ = write!(
                h,
                "<p class=\"stamp\">ĐÃ ĐƯỢC THAY THẾ ngày {} bởi Giấy chứng nhận số phát hành {}</p>",
                vn_date(*on),
                e(by)
            );
        }
    }

    h.push_str("<h2>1. Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất</h2><ol class=\"holders\">");
    for holder in &c.holders {
        h.push_str("<li>");
        h.push_str(&holder_line(holder));
        if c.holders.len() > 1 {
            let _ = write!(h, "; phần quyền: {}", share_text(holder.share));
        }
        if !holder.members.is_empty() {
            h.push_str("<br>Các thành viên hộ gia đình cùng sử dụng đất:<ul class=\"members\">");
            for m in &holder.members {
                let _ = write!(h, "<li>{}</li>", member_line(m, "Số định danh cá nhân"));
            }
            h.push_str("</ul>");
        }
        h.push_str("</li>");
    }
    h.push_str("</ol>");

    let p = &c.parcel;
    h.push_str("<h2>2. Thửa đất</h2><ul class=\"plain parcel\">");
    let _ = write!(h, "<li>a) Thửa đất số: <b>{}</b>; Tờ bản đồ số: <b>{}</b>;</li>", p.parcel_no, p.sheet_no);
    let _ = write!(h, "<li>b) Diện tích: <b>{} m²</b>;</li>", vn_number(p.area_m2, 1));
    let uses: Vec<String> = p
        .land_uses
        .iter()
        .map(|u| format!("{} ({}): {} m²", e(&u.name), e(&u.code), vn_number(u.area_m2, 1)))
        .collect();
    let _ = write!(h, "<li>c) Loại đất: {};</li>", uses.join("; "));
    let terms: Vec<String> = p
        .land_uses
        .iter()
        .map(|u| match u.use_until {
            None => format!("{}: Lâu dài", e(&u.code)),
            Some(d) => format!("{}: đến ngày {}", e(&u.code), vn_date(d)),
        })
        .collect();
    let _ = write!(h, "<li>d) Thời hạn sử dụng: {};</li>", terms.join("; "));
    let form = match p.use_form {
        UseForm::Sole => "Sử dụng riêng",
        UseForm::Joint => "Sử dụng chung",
    };
    let _ = write!(h, "<li>đ) Hình thức sử dụng: {form};</li>");
    let _ = write!(h, "<li>e) Địa chỉ: {};</li>", e(p.address.as_deref().unwrap_or("—")));
    if let Some(origin) = &c.origin {
        let _ = write!(h, "<li>Nguồn gốc sử dụng: {};</li>", e(origin));
    }
    let _ = write!(h, "<li>Mã định danh thửa đất: <b>{}</b>.</li></ul>", e(&p.national_id));

    h.push_str(
        "<h2>3. Tài sản gắn liền với đất</h2><p>Không có tài sản gắn liền với đất được chứng nhận quyền sở hữu.</p>",
    );
    h.push_str("<h2>4. Ghi chú</h2>");
    let mut notes = Vec::new();
    if let Some(n) = &c.notes {
        notes.push(e(n));
    }
    if let Some(prev) = &c.replaces {
        notes.push(format!(
            "Cấp thay thế Giấy chứng nhận số phát hành {} ({}).",
            e(&prev.serial),
            e(reason_label(&prev.reason))
        ));
    }
    let _ = write!(h, "<p>{}</p>", if notes.is_empty() { "—".to_string() } else { notes.join("<br>") });
    let _ = write!(
        h,
        "<div class=\"sign\"><p><i>{}, {}</i></p><p class=\"authority\">{}</p><p><i>(Ký, ghi rõ họ tên và đóng dấu)</i></p></div>",
        e(&c.place),
        vn_date_words(c.issued_on),
        e(&c.authority)
    );
    let _ = write!(h, "<p class=\"serial\">Số phát hành: {}</p></section>", e(&c.serial));

    // Page 2.
    let d = sheet.diagram;
    h.push_str("<section class=\"page page-2\"><h2>5. Sơ đồ thửa đất</h2><figure>");
    h.push_str(&d.svg);
    let _ = write!(
        h,
        "<figcaption>Hệ tọa độ VN-2000, múi chiếu 3° (EPSG:{}); hướng Bắc (B) theo lưới tọa độ; chiều dài cạnh (m) đo trên mặt phẳng chiếu; tỷ lệ 1:{} khi in khổ A4 đúng kích thước.</figcaption></figure>",
        d.epsg,
        vn_number(f64::from(d.scale), 0)
    );
    h.push_str("<p><b>Tọa độ đỉnh thửa</b> (X: hướng Bắc, Y: hướng Đông, m)</p><ol class=\"coords\">");
    for (n, v) in d.vertices.iter().take(60) {
        let _ = write!(h, "<li value=\"{n}\">X {} — Y {}</li>", vn_number(v.y, 3), vn_number(v.x, 3));
    }
    if d.vertices.len() > 60 {
        let _ = write!(h, "<li>… ({} đỉnh)</li>", d.vertices.len());
    }
    h.push_str("</ol>");

    h.push_str("<h2>6. Những thay đổi sau khi cấp Giấy chứng nhận</h2><table class=\"changes\"><tr><th>Nội dung thay đổi và cơ sở pháp lý</th><th class=\"date\">Ngày</th><th class=\"confirm\">Xác nhận của cơ quan có thẩm quyền</th></tr>");
    // The office confirms each row: its name, then room to sign and stamp.
    let confirm = format!(
        "<td class=\"confirm\">{}<br><span class=\"signature\">(Ký, ghi rõ họ tên và đóng dấu)</span></td>",
        e(&c.authority)
    );
    let mut rows = 0;
    for n in &c.endorsements {
        let _ = write!(h, "<tr class=\"endorsement\"><td>{}", e(&n.text));
        let _ = write!(h, "<br><span class=\"basis\">Cơ sở pháp lý: {}", e(&n.legal_basis));
        if let Some(dossier) = &n.dossier {
            let _ = write!(h, "; hồ sơ số {}", e(dossier));
        }
        let _ = write!(h, "</span></td><td class=\"date\">{}</td>{confirm}</tr>", vn_date(n.recorded_on));
        rows += 1;
    }
    match &sheet.status {
        Status::Valid => {}
        Status::Revoked { on, reason } => {
            let _ = write!(
                h,
                "<tr><td>Thu hồi Giấy chứng nhận. Lý do: {}</td><td class=\"date\">{}</td>{confirm}</tr>",
                e(reason),
                vn_date(*on)
            );
            rows += 1;
        }
        Status::Replaced { by, on, reason } => {
            let _ = write!(
                h,
                "<tr><td>{}; đã cấp Giấy chứng nhận số phát hành {} thay thế.</td><td class=\"date\">{}</td>{confirm}</tr>",
                e(reason_label(reason)),
                e(by),
                vn_date(*on)
            );
            rows += 1;
        }
    }
    for _ in rows..3 {
        h.push_str("<tr><td></td><td class=\"date\"></td><td class=\"confirm\"></td></tr>");
    }
    h.push_str("</table>");
    let _ = write!(h, "<p class=\"registry\">Số vào sổ cấp Giấy chứng nhận: {}</p>", e(&c.registry_no));
    h.push_str("<p class=\"fineprint\">Người được cấp Giấy chứng nhận không được sửa chữa, tẩy xóa hoặc bổ sung bất kỳ nội dung nào trong Giấy chứng nhận; khi bị mất hoặc hư hỏng Giấy chứng nhận phải khai báo ngay với cơ quan cấp Giấy. Quét mã QR để kiểm tra Giấy chứng nhận.</p>");
    h.push_str("</section></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::tests::sample_content;
    use geo_types::{polygon, Polygon};

    fn rect(x0: f64, y0: f64, w: f64, h: f64) -> MultiPolygon<f64> {
        let p: Polygon<f64> =
            polygon![(x: x0, y: y0), (x: x0 + w, y: y0), (x: x0 + w, y: y0 + h), (x: x0, y: y0 + h), (x: x0, y: y0)];
        MultiPolygon(vec![p])
    }

    #[test]
    fn numbers_the_vietnamese_way() {
        assert_eq!(vn_number(600.0, 1), "600,0");
        assert_eq!(vn_number(12345.67, 1), "12.345,7");
        assert_eq!(vn_number(1234567.0, 0), "1.234.567");
        assert_eq!(vn_number(-0.001, 2), "0,00");
        assert_eq!(vn_number(-1.5, 2), "-1,50");
        assert_eq!(share_text(0.5), "50%");
        assert_eq!(share_text(0.33333333), "33,333333%");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }

    #[test]
    fn diagram_labels_every_edge_with_its_length() {
        let d = diagram(&rect(551_574.208, 1_061_683.7, 20.0, 30.0), 9209);
        assert_eq!(d.vertices.len(), 4);
        assert_eq!(d.svg.matches(">20,00<").count(), 2, "{}", d.svg);
        assert_eq!(d.svg.matches(">30,00<").count(), 2);
        // 30 m must fit in 92 mm of height: 1:500 is the largest standard scale that does.
        assert_eq!(d.scale, 500);
        assert!(d.svg.contains(">B</text>"), "north arrow");
        assert!(d.svg.contains("Tỷ lệ 1:500"));
    }

    #[test]
    fn diagram_scale_grows_with_the_parcel() {
        assert_eq!(diagram(&rect(500_000.0, 1_000_000.0, 5.0, 4.0), 9209).scale, 100);
        assert_eq!(diagram(&rect(500_000.0, 1_000_000.0, 800.0, 300.0), 9209).scale, 10_000);
    }

    #[test]
    fn two_pages_with_the_circular_fields_and_no_injection() {
        let content = sample_content();
        let d = diagram(&rect(551_574.208, 1_061_683.7, 20.0, 30.0), 9209);
        let qr = qr_svg("https://x.vn/certificates/verify/ĐC00000042#c=abc&k=92-00000000&s=def").unwrap();
        let html = render(&Sheet { content: &content, status: Status::Valid, qr_svg: Some(&qr), diagram: &d });
        assert_eq!(html.matches("<section class=\"page").count(), 2);
        for needle in [
            "Mã Giấy chứng nhận: <b>92.2026.00001</b>",
            "Thửa đất số: <b>12</b>; Tờ bản đồ số: <b>7</b>",
            "Diện tích: <b>600,0 m²</b>",
            "Đất ở tại đô thị (ODT): 600,0 m²",
            "ODT: Lâu dài",
            "Sử dụng chung",
            "5. Sơ đồ thửa đất",
            "6. Những thay đổi sau khi cấp Giấy chứng nhận",
            "Số vào sổ cấp Giấy chứng nhận: CS 00001",
            "Số phát hành: ĐC00000042",
            "Cần Thơ, ngày 23 tháng 11 năm 2026",
            "size: A4",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert!(!html.contains("<b>Bé</b>"), "a name must not become markup");
        assert!(html.contains("Trần Thị &lt;b&gt;Bé&lt;/b&gt;"));
        assert!(html.contains("Thử &amp; &lt;Nghiệm&gt;"));
        assert!(html.contains("<svg") && !html.contains("<?xml"));
    }

    #[test]
    fn revoked_and_replaced_sheets_say_so() {
        let content = sample_content();
        let d = diagram(&rect(0.0, 0.0, 10.0, 10.0), 9209);
        let on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let html = render(&Sheet {
            content: &content,
            status: Status::Revoked { on, reason: "cấp sai <đối tượng>" },
            qr_svg: None,
            diagram: &d,
        });
        assert!(html.contains("ĐÃ THU HỒI ngày 01/12/2026 — cấp sai &lt;đối tượng&gt;"));
        let html = render(&Sheet {
            content: &content,
            status: Status::Replaced { by: "ĐC00000043", on, reason: "transfer" },
            qr_svg: None,
            diagram: &d,
        });
        assert!(
            html.contains("chuyển nhượng quyền sử dụng đất; đã cấp Giấy chứng nhận số phát hành ĐC00000043 thay thế")
        );
    }

    #[test]
    fn endorsements_are_rows_of_section_6_escaped() {
        let mut content = sample_content();
        let on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        content
            .endorse(
                on,
                "Thế chấp bằng quyền sử dụng đất tại Ngân hàng <TMCP> & Thử theo hợp đồng số 12/2026/HĐTC",
                "Hợp đồng thế chấp số 12/2026/HĐTC; đăng ký ngày 01/12/2026",
                Some("HS-2026-0042"),
            )
            .unwrap();
        let d = diagram(&rect(0.0, 0.0, 10.0, 10.0), 9209);
        let html = render(&Sheet { content: &content, status: Status::Valid, qr_svg: None, diagram: &d });
        let section = &html[html.find("6. Những thay đổi sau khi cấp Giấy chứng nhận").unwrap()..];
        assert!(section.contains("<th>Nội dung thay đổi và cơ sở pháp lý</th><th class=\"date\">Ngày</th>"));
        assert!(section.contains(
            "<tr class=\"endorsement\"><td>Thế chấp bằng quyền sử dụng đất tại Ngân hàng &lt;TMCP&gt; &amp; Thử theo hợp đồng số 12/2026/HĐTC<br>"
        ));
        assert!(section.contains(
            "Cơ sở pháp lý: Hợp đồng thế chấp số 12/2026/HĐTC; đăng ký ngày 01/12/2026; hồ sơ số HS-2026-0042"
        ));
        assert!(section.contains("<td class=\"date\">01/12/2026</td>"));
        assert!(section.contains("Văn phòng đăng ký đất đai thành phố Cần Thơ<br><span class=\"signature\">(Ký, ghi rõ họ tên và đóng dấu)</span>"));
        assert!(!html.contains("<TMCP>"));
        // One endorsement and two blank lines; a revocation comes after the endorsements.
        assert_eq!(section.matches("<tr").count(), 1 + 3);
        let html = render(&Sheet {
            content: &content,
            status: Status::Revoked { on: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(), reason: "cấp sai" },
            qr_svg: None,
            diagram: &d,
        });
        let (endorsed, revoked) =
            (html.find("Ngân hàng &lt;TMCP&gt;").unwrap(), html.find("Thu hồi Giấy chứng nhận").unwrap());
        assert!(endorsed < revoked);
    }

    #[test]
    fn a_couple_and_a_household_print_as_circular_10_art_32_has_them() {
        use crate::certificate::{Holder, HolderFields, MemberFields};
        let mut content = sample_content();
        let couple = Holder::parse_fields(&HolderFields {
            kind: "person",
            name: "Nguyễn Văn An",
            id_number: Some("079123456789"),
            share: 1.0,
            title: Some("ong"),
            spouse: Some(MemberFields {
                title: Some("ba"),
                name: "Trần Thị Bé",
                id_number: Some("079987654321"),
                ..MemberFields::default()
            }),
            ..HolderFields::default()
        })
        .unwrap();
        content.holders = vec![couple];
        let d = diagram(&rect(0.0, 0.0, 10.0, 10.0), 9209);
        let html = render(&Sheet { content: &content, status: Status::Valid, qr_svg: None, diagram: &d });
        assert!(
            html.contains("<li>Ông: <b>Nguyễn Văn An</b>; Số định danh cá nhân: 079123456789; và vợ: Bà <b>Trần Thị Bé</b>; Số định danh cá nhân: 079987654321</li>"),
            "{html}"
        );
        assert!(!html.contains("phần quyền"), "a couple alone holds no shares");

        let member = |t, n| MemberFields { title: Some(t), name: n, relation: Some("con"), ..MemberFields::default() };
        let household = Holder::parse_fields(&HolderFields {
            kind: "household",
            name: "Lê Văn Cả",
            share: 1.0,
            title: Some("ong"),
            members: vec![member("ba", "Phạm Thị Hai"), member("ong", "Lê Văn Ba")],
            ..HolderFields::default()
        })
        .unwrap();
        content.holders = vec![household];
        let html = render(&Sheet { content: &content, status: Status::Valid, qr_svg: None, diagram: &d });
        assert!(html.contains("<li>Hộ ông: <b>Lê Văn Cả</b><br>Các thành viên hộ gia đình cùng sử dụng đất:<ul class=\"members\"><li>Bà <b>Phạm Thị Hai</b> (con)</li><li>Ông <b>Lê Văn Ba</b> (con)</li></ul></li>"), "{html}");
    }

    #[test]
    fn the_qr_code_is_2_cm_with_a_quiet_zone() {
        assert!(
            STYLE.contains(&format!(".qr svg {{ display: block; width: {QR_SIDE_MM}mm; height: {QR_SIDE_MM}mm; }}"))
        );
        assert!(STYLE.contains(&format!("padding: {QR_QUIET_MM}mm; background: #fff;")));
        let symbol = qr_symbol("https://gcn.example.vn/certificates/verify/AB00000001?h=x").unwrap();
        assert_eq!((symbol.version, symbol.modules, symbol.ec), (4, 33, 'M'));
        assert!(symbol.svg.starts_with("<svg class=\"qr-code\" data-version=\"4\" data-modules=\"33\" "));
        assert!(symbol.svg.contains("viewBox=\"0 0 33 33\"") && symbol.svg.contains("crispEdges"));
    }
}
