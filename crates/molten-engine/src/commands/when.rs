//! Reading "when" in English and Chinese: `in 10m`, `in 1h30m`, `tomorrow 9:00`,
//! `at 18:30`, `2026-12-01 14:30`, `10分钟后`, `半小时后`, `明天上午9点`, `后天下午3点半`.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use regex::Regex;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhenError {
    /// Nothing at the start reads as a time.
    Unreadable,
    /// The time is in the past.
    Past,
    /// A number out of range (25:00, day 32).
    OutOfRange,
    /// A time but nothing to remind of.
    NoText,
}

/// A parsed request: when, and the rest of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub at: DateTime<Utc>,
    pub text: String,
}

fn re(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

static RELATIVE_EN: OnceLock<Option<Regex>> = OnceLock::new();
static RELATIVE_ZH: OnceLock<Option<Regex>> = OnceLock::new();
static CLOCK: OnceLock<Option<Regex>> = OnceLock::new();
static DATE: OnceLock<Option<Regex>> = OnceLock::new();
static PART_EN: OnceLock<Option<Regex>> = OnceLock::new();

/// Parses the start of `input` as a time relative to `now` in zone `tz`.
pub fn parse(input: &str, now: DateTime<Utc>, tz: Tz) -> Result<When, WhenError> {
    let input = input.trim();
    let (at, rest) = relative_en(input, now)
        .or_else(|| relative_zh(input, now))
        .or_else(|| date(input, now, tz))
        .or_else(|| clock(input, now, tz))
        .ok_or(WhenError::Unreadable)??;
    if at <= now {
        return Err(WhenError::Past);
    }
    let text = strip_filler(rest);
    if text.is_empty() {
        return Err(WhenError::NoText);
    }
    Ok(When { at, text })
}

type Parsed<'a> = Option<Result<(DateTime<Utc>, &'a str), WhenError>>;

fn strip_filler(rest: &str) -> String {
    let mut t = rest.trim();
    for p in ["提醒我", "提醒", "叫我", "to ", "：", ":", "，", ",", "-"] {
        if let Some(s) = t.strip_prefix(p) {
            t = s.trim_start();
        }
    }
    t.trim().to_string()
}

fn unit_seconds(unit: &str) -> Option<i64> {
    let u = unit.to_lowercase();
    Some(match u.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" | "秒" | "秒钟" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" | "分" | "分钟" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" | "小时" | "个小时" | "钟头" | "个钟头" => {
            3600
        }
        "d" | "day" | "days" | "天" => 86_400,
        "w" | "week" | "weeks" | "周" | "星期" | "个星期" => 604_800,
        _ => return None,
    })
}

const MAX_AHEAD_SECS: i64 = 10 * 366 * 86_400;

fn relative_en(input: &str, now: DateTime<Utc>) -> Parsed<'_> {
    let r = re(
        &RELATIVE_EN,
        r"(?i)^in\s+((?:\d+\s*[a-z]+\s*)+?)(?:\s|$)(.*)$",
    )?;
    let parts = re(&PART_EN, r"(?i)(\d+)\s*([a-z]+)")?;
    let caps = r.captures(input)?;
    let spec = caps.get(1)?.as_str();
    let mut secs: i64 = 0;
    for p in parts.captures_iter(spec) {
        let n: i64 = p.get(1)?.as_str().parse().ok()?;
        let unit = unit_seconds(p.get(2)?.as_str())?;
        secs = secs.saturating_add(n.saturating_mul(unit));
    }
    if secs > MAX_AHEAD_SECS {
        return Some(Err(WhenError::OutOfRange));
    }
    Some(Ok((now + Duration::seconds(secs), caps.get(2)?.as_str())))
}

/// 0–99 in Chinese numerals (一, 十五, 二十三, 两) or digits.
fn cn_number(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|p| p as i64)
            .or((c == '两').then_some(2))
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

fn relative_zh(input: &str, now: DateTime<Utc>) -> Parsed<'_> {
    let r = re(
        &RELATIVE_ZH,
        r"^(\d+|[零一二两三四五六七八九十]+)?\s*个?\s*(半)?\s*(秒钟|秒|分钟|分|个小时|小时|个钟头|钟头|天|个星期|星期|周)\s*(半)?\s*(?:后|以后|之后)(.*)$",
    )?;
    let caps = r.captures(input)?;
    let unit = unit_seconds(caps.get(3)?.as_str())?;
    // 半 before the unit (一个半小时) or after it (一小时半) adds half a unit.
    let half = if caps.get(2).is_some() || caps.get(4).is_some() {
        unit / 2
    } else {
        0
    };
    let secs = match caps.get(1) {
        Some(n) => cn_number(n.as_str())?
            .saturating_mul(unit)
            .saturating_add(half),
        None if half > 0 => half,
        None => return None,
    };
    if secs > MAX_AHEAD_SECS {
        return Some(Err(WhenError::OutOfRange));
    }
    Some(Ok((now + Duration::seconds(secs), caps.get(5)?.as_str())))
}

/// Hour adjusted for am/pm words; `None` when out of range.
fn hour_24(hour: u32, period: Option<&str>) -> Option<u32> {
    let h = match period.map(str::to_lowercase).as_deref() {
        Some("pm" | "下午" | "晚上") if hour < 12 => hour + 12,
        Some("中午") if hour < 6 => hour + 12,
        Some("am" | "上午" | "早上") if hour == 12 => 0,
        _ => hour,
    };
    (h < 24).then_some(h)
}

fn local_to_utc(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    // In a DST gap the wall time does not exist: take the later reading.
    let local = tz.from_local_datetime(&day.and_time(time));
    local
        .earliest()
        .or_else(|| local.latest())
        .or_else(|| {
            tz.from_local_datetime(&(day.and_time(time) + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

fn clock(input: &str, now: DateTime<Utc>, tz: Tz) -> Parsed<'_> {
    let r = re(
        &CLOCK,
        r"(?i)^(today|tomorrow|tmr|今天|明天|后天)?\s*(?:at\s+)?(上午|早上|中午|下午|晚上)?\s*(\d{1,2}|[零一二两三四五六七八九十]+)(?:[:：](\d{2})|\s*点\s*(?:(半)|(\d{1,2})\s*分?)?)?\s*(am|pm)?(?:\s+|$)?(.*)$",
    )?;
    let caps = r.captures(input)?;
    let day_word = caps.get(1).map(|m| m.as_str().to_lowercase());
    let has_marker = caps.get(4).is_some()
        || input.contains('点')
        || caps.get(7).is_some()
        || input.to_lowercase().starts_with("at ");
    // A bare number ("10 apples") is not a time; a day word with an hour is.
    if !has_marker && day_word.is_none() {
        return None;
    }
    let hour = cn_number(caps.get(3)?.as_str())?;
    let minute: i64 = if caps.get(5).is_some() {
        30
    } else {
        caps.get(4)
            .or(caps.get(6))
            .map(|m| m.as_str().parse().unwrap_or(99))
            .unwrap_or(0)
    };
    let period = caps.get(2).or(caps.get(7)).map(|m| m.as_str());
    let (Some(h), Ok(min_u)) = (
        u32::try_from(hour).ok().and_then(|h| hour_24(h, period)),
        u32::try_from(minute),
    ) else {
        return Some(Err(WhenError::OutOfRange));
    };
    let Some(time) = NaiveTime::from_hms_opt(h, min_u, 0) else {
        return Some(Err(WhenError::OutOfRange));
    };
    let today = now.with_timezone(&tz).date_naive();
    let offset = match day_word.as_deref() {
        Some("tomorrow" | "tmr" | "明天") => 1,
        Some("后天") => 2,
        _ => 0,
    };
    let mut at = local_to_utc(tz, today + Duration::days(offset), time)?;
    if day_word.is_none() && at <= now {
        // "at 9:00" after nine means tomorrow's.
        at = local_to_utc(tz, today + Duration::days(1), time)?;
    }
    Some(Ok((at, caps.get(8)?.as_str())))
}

fn date(input: &str, _now: DateTime<Utc>, tz: Tz) -> Parsed<'_> {
    let r = re(
        &DATE,
        r"^(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?(?:[ T]+(\d{1,2})[:：](\d{2}))?(?:\s+|$)(.*)$",
    )?;
    let caps = r.captures(input)?;
    let num = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let year = caps.get(1)?.as_str().parse::<i32>().ok()?;
    let Some(day) = NaiveDate::from_ymd_opt(year, num(2)?, num(3)?) else {
        return Some(Err(WhenError::OutOfRange));
    };
    let Some(time) = NaiveTime::from_hms_opt(num(4).unwrap_or(9), num(5).unwrap_or(0), 0) else {
        return Some(Err(WhenError::OutOfRange));
    };
    Some(
        local_to_utc(tz, day, time)
            .map(|at| (at, caps.get(6).map_or("", |m| m.as_str())))
            .ok_or(WhenError::OutOfRange),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn reads_english_and_chinese_times() {
        // Now: Monday 2026-01-05 10:00 in Shanghai (02:00 UTC).
        let now = at("2026-01-05T02:00:00Z");
        let tz: Tz = "Asia/Shanghai".parse().expect("tz");
        let cases = [
            ("in 10m stretch", "2026-01-05T02:10:00Z", "stretch"),
            (
                "in 3s stretch your legs",
                "2026-01-05T02:00:03Z",
                "stretch your legs",
            ),
            ("in 1h30m call mum", "2026-01-05T03:30:00Z", "call mum"),
            ("in 2 hours to call mum", "2026-01-05T04:00:00Z", "call mum"),
            ("tomorrow 9:00 standup", "2026-01-06T01:00:00Z", "standup"),
            ("tomorrow at 9am standup", "2026-01-06T01:00:00Z", "standup"),
            ("tomorrow 3pm tea", "2026-01-06T07:00:00Z", "tea"),
            ("at 18:30 dinner", "2026-01-05T10:30:00Z", "dinner"),
            ("9:00 gym", "2026-01-06T01:00:00Z", "gym"),
            ("today 23:59 bed", "2026-01-05T15:59:00Z", "bed"),
            (
                "2026-12-01 14:30 dentist",
                "2026-12-01T06:30:00Z",
                "dentist",
            ),
            ("2026-12-01 dentist", "2026-12-01T01:00:00Z", "dentist"),
            ("10分钟后喝水", "2026-01-05T02:10:00Z", "喝水"),
            ("10分钟后 提醒我喝水", "2026-01-05T02:10:00Z", "喝水"),
            ("十五分钟后开会", "2026-01-05T02:15:00Z", "开会"),
            ("半小时后出门", "2026-01-05T02:30:00Z", "出门"),
            ("一个半小时后出门", "2026-01-05T03:30:00Z", "出门"),
            ("两天后交报告", "2026-01-07T02:00:00Z", "交报告"),
            ("明天9点开会", "2026-01-06T01:00:00Z", "开会"),
            ("明天 9:00 开会", "2026-01-06T01:00:00Z", "开会"),
            ("明天上午九点 开会", "2026-01-06T01:00:00Z", "开会"),
            ("后天下午3点半 看牙", "2026-01-07T07:30:00Z", "看牙"),
            ("下午3点 提醒我打电话", "2026-01-05T07:00:00Z", "打电话"),
            ("2026年12月1日 14:30 看牙", "2026-12-01T06:30:00Z", "看牙"),
        ];
        for (input, want_at, want_text) in cases {
            let got = parse(input, now, tz)
                .unwrap_or_else(|e| panic!("{input:?} should parse, got {e:?}"));
            assert_eq!(got.at, at(want_at), "time of {input:?}");
            assert_eq!(got.text, want_text, "text of {input:?}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let now = at("2026-01-05T02:00:00Z");
        let tz: Tz = "Asia/Shanghai".parse().expect("tz");
        let cases = [
            ("someday buy milk", WhenError::Unreadable),
            ("10 apples", WhenError::Unreadable),
            ("", WhenError::Unreadable),
            ("today 8:00 too late", WhenError::Past),
            ("tomorrow 25:00 x", WhenError::OutOfRange),
            ("2026-02-30 x", WhenError::OutOfRange),
            ("in 10m", WhenError::NoText),
            ("in 99999 weeks x", WhenError::OutOfRange),
            ("10分钟后", WhenError::NoText),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input, now, tz), Err(want.clone()), "{input:?}");
        }
    }
}
