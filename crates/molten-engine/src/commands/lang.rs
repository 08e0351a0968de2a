//! Which language to answer in, and how times read in each.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    pub fn from_code(code: &str) -> Self {
        if code == "zh" {
            Self::Zh
        } else {
            Self::En
        }
    }

    /// Chinese when the text has any CJK ideograph, else `fallback`.
    pub fn detect(text: &str, fallback: Lang) -> Lang {
        if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            Lang::Zh
        } else {
            fallback
        }
    }

    /// `en` / `zh` text by language.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Self::En => en,
            Self::Zh => zh,
        }
    }
}

/// A due time as people read it: `Tue 6 Jan 09:00` / `1月6日 周二 09:00`.
pub fn local_time(t: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let l = t.with_timezone(&tz);
    match lang {
        Lang::En => l.format("%a %-d %b %Y %H:%M").to_string(),
        Lang::Zh => {
            let wd = match l.weekday() {
                Weekday::Mon => "一",
                Weekday::Tue => "二",
                Weekday::Wed => "三",
                Weekday::Thu => "四",
                Weekday::Fri => "五",
                Weekday::Sat => "六",
                Weekday::Sun => "日",
            };
            format!(
                "{}年{}月{}日 周{} {}",
                l.year(),
                l.month(),
                l.day(),
                wd,
                l.format("%H:%M")
            )
        }
    }
}

/// How far away: `in 2h 5m` / `2小时5分钟后`.
pub fn relative(d: Duration, lang: Lang) -> String {
    // Past a minute, whole minutes: "in 30m", not "in 29m 59s".
    let secs = d.num_seconds().max(0);
    let secs = if secs >= 60 {
        (secs + 30) / 60 * 60
    } else {
        secs
    };
    let (days, hours, mins, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let units: [(i64, &str, &str); 4] = [
        (days, "d", "天"),
        (hours, "h", "小时"),
        (mins, "m", "分钟"),
        (s, "s", "秒"),
    ];
    let parts: Vec<String> = units
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .take(2)
        .map(|(n, en, zh)| format!("{n}{}", lang.pick(en, zh)))
        .collect();
    let body = if parts.is_empty() {
        lang.pick("0s", "0秒").to_string()
    } else {
        parts.join(lang.pick(" ", ""))
    };
    match lang {
        Lang::En => format!("in {body}"),
        Lang::Zh => format!("{body}后"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_chinese_and_formats_both() {
        assert_eq!(
            Lang::detect("提醒我", Lang::En),
            Lang::Zh,
            "CJK text is Chinese"
        );
        assert_eq!(
            Lang::detect("/help", Lang::En),
            Lang::En,
            "ASCII falls back"
        );
        assert_eq!(
            relative(Duration::seconds(7500), Lang::En),
            "in 2h 5m",
            "en relative"
        );
        assert_eq!(
            relative(Duration::seconds(7500), Lang::Zh),
            "2小时5分钟后",
            "zh relative"
        );
        let t = DateTime::parse_from_rfc3339("2026-01-06T01:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let tz: Tz = "Asia/Shanghai".parse().expect("tz");
        assert_eq!(
            local_time(t, tz, Lang::En),
            "Tue 6 Jan 2026 09:00",
            "en local time"
        );
        assert_eq!(
            local_time(t, tz, Lang::Zh),
            "2026年1月6日 周二 09:00",
            "zh local time"
        );
    }
}
