//! Charts as SVG (plotters): miss-ratio curves, run timelines and the
//! recommender's cost / p99 frontier.

use crate::error::Error;
use std::path::Path;

/// One line of a chart: a label and its (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points, in x order.
    pub points: Vec<(f64, f64)>,
}

const PALETTE: [plotters::style::RGBColor; 14] = [
    plotters::style::RGBColor(31, 119, 180),
    plotters::style::RGBColor(255, 127, 14),
    plotters::style::RGBColor(44, 160, 44),
    plotters::style::RGBColor(214, 39, 40),
    plotters::style::RGBColor(148, 103, 189),
    plotters::style::RGBColor(140, 86, 75),
    plotters::style::RGBColor(227, 119, 194),
    plotters::style::RGBColor(127, 127, 127),
    plotters::style::RGBColor(188, 189, 34),
    plotters::style::RGBColor(23, 190, 207),
    plotters::style::RGBColor(0, 0, 0),
    plotters::style::RGBColor(174, 199, 232),
    plotters::style::RGBColor(255, 187, 120),
    plotters::style::RGBColor(152, 223, 138),
];

/// Writes a line chart (one line per series, x on a log scale when
/// `log_x`) to `path` as SVG.
pub fn line_chart_svg(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_x: bool,
) -> Result<(), Error> {
    use plotters::prelude::*;
    let err = |e: &dyn std::fmt::Display| Error::io_in(path.display().to_string(), format!("cannot draw chart: {e}"));
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if !x0.is_finite() {
        return Err(Error::invalid_in(path.display().to_string(), "nothing to plot"));
    }
    if x0 == x1 {
        x0 *= 0.9;
        x1 = x1 * 1.1 + 1.0;
    }
    let y1 = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0f64, f64::max).max(1e-9) * 1.05;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut builder = ChartBuilder::on(&root);
    builder.caption(title, ("sans-serif", 22)).margin(14).x_label_area_size(44).y_label_area_size(60);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .x_max_light_lines(1)
                .light_line_style(RGBColor(238, 238, 238))
                .x_label_formatter(&|x| {
                    let s = format!("{x:.3}");
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                })
                .draw()
                .map_err(|e| err(&e))?;
            for (i, s) in series.iter().enumerate() {
                let c = PALETTE[i % PALETTE.len()];
                chart
                    .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))
                    .map_err(|e| err(&e))?
                    .label(s.label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
                chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(|e| err(&e))?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| err(&e))?;
        }};
    }
    if log_x && x0 > 0.0 {
        draw!(builder.build_cartesian_2d((x0..x1).log_scale(), 0.0..y1).map_err(|e| err(&e))?);
    } else {
        draw!(builder.build_cartesian_2d(x0..x1, 0.0..y1).map_err(|e| err(&e))?);
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Writes the key series of a run over time as stacked panels —
/// requests per minute, hit ratio, p99 latency, loaded models (copies) and
/// instances in service — with the fault windows shaded, to `path` as SVG.
/// The chart of a [`Timeline`] of `minutes`: one point per minute up to
/// [`TIMELINE_MAX_POINTS`] minutes, wider buckets past it.
pub fn timeline_svg(
    path: &Path,
    title: &str,
    minutes: &[mmesim_core::MinuteMetrics],
    faults: &[mmesim_core::FaultWindow],
) -> Result<(), Error> {
    let mut t = Timeline::default();
    for m in minutes {
        t.add(m);
    }
    t.svg(path, title, faults)
}

/// Most points a [`Timeline`] keeps per series (a day of minutes; the
/// chart is 900 pixels wide). Past it, adjacent points are merged into
/// buckets twice as wide, as often as needed, so a run of any simulated
/// length is drawn from at most this many points.
pub const TIMELINE_MAX_POINTS: usize = 1440;

/// A run's timeline for [`timeline_svg`], built minute by minute in
/// bounded memory: a [`MinuteSink`](mmesim_core::MinuteSink) for
/// [`Scenario::run_into`](crate::Scenario::run_into) (what
/// `mmesim run --plot` uses). Up to [`TIMELINE_MAX_POINTS`] minutes it
/// keeps every minute; past it, buckets of 2, 4, 8, … whole minutes: the
/// requests per minute averaged over the bucket, the hit ratio weighted by
/// the requests, the p99 the highest minute p99 of the bucket, the
/// snapshots (loaded models, instances) those of its last minute.
#[derive(Clone, Debug)]
pub struct Timeline {
    buckets: Vec<Bucket>,
    /// Minutes per full bucket (1, 2, 4, …).
    width: u64,
    /// The latest minute, held back: a last minute with no arrival (the
    /// drain) is left out of the chart.
    last: Option<Bucket>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline { buckets: Vec::new(), width: 1, last: None }
    }
}

/// Some whole minutes of a timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    first: u64,
    minutes: u64,
    /// Requests in all.
    invocations: f64,
    /// Requests per minute.
    requests: f64,
    hit: f64,
    p99: f64,
    loaded: f64,
    instances: f64,
}

impl Bucket {
    fn of(m: &mmesim_core::MinuteMetrics) -> Bucket {
        Bucket {
            first: m.minute,
            minutes: 1,
            invocations: m.invocations as f64,
            requests: m.invocations as f64,
            hit: m.model_cache_hit,
            p99: m.p99_latency_ms,
            loaded: m.loaded_model_count as f64,
            instances: m.instance_count as f64,
        }
    }

    /// `self` followed by `b`.
    fn merged(self, b: Bucket) -> Bucket {
        let invocations = self.invocations + b.invocations;
        let minutes = self.minutes + b.minutes;
        Bucket {
            first: self.first,
            minutes,
            invocations,
            requests: invocations / minutes as f64,
            hit: if invocations > 0.0 {
                (self.hit * self.invocations + b.hit * b.invocations) / invocations
            } else {
                0.0
            },
            p99: self.p99.max(b.p99),
            loaded: b.loaded,
            instances: b.instances,
        }
    }
}

impl Timeline {
    /// Adds the next minute (minutes come in order).
    pub fn add(&mut self, m: &mmesim_core::MinuteMetrics) {
        if let Some(prev) = self.last.replace(Bucket::of(m)) {
            self.push(prev);
        }
    }

    fn push(&mut self, b: Bucket) {
        if let Some(l) = self.buckets.last_mut() {
            if l.minutes < self.width {
                *l = l.merged(b);
                return;
            }
        }
        if self.buckets.len() >= TIMELINE_MAX_POINTS {
            self.buckets = self.buckets.chunks(2).map(|c| c[1..].iter().fold(c[0], |a, b| a.merged(*b))).collect();
            self.width *= 2;
        }
        self.buckets.push(b);
    }

    /// The points drawn, and the minutes they cover.
    fn points(&self) -> (Vec<Bucket>, u64) {
        let mut t = self.clone();
        if let Some(last) = t.last.take() {
            // A last minute with no arrival is the drain after the
            // workload ended: its ratios would read as zero.
            if last.invocations > 0.0 || t.buckets.is_empty() {
                t.push(last);
            }
        }
        let minutes = t.buckets.iter().map(|b| b.minutes).sum();
        (t.buckets, minutes)
    }

    /// How many points the chart would draw per series (at most
    /// [`TIMELINE_MAX_POINTS`]).
    pub fn len(&self) -> usize {
        self.points().0.len()
    }

    /// Whether no minute was added.
    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// Writes the chart (see [`timeline_svg`]) to `path` as SVG.
    pub fn svg(&self, path: &Path, title: &str, faults: &[mmesim_core::FaultWindow]) -> Result<(), Error> {
        use plotters::prelude::*;
        let err =
            |e: &dyn std::fmt::Display| Error::io_in(path.display().to_string(), format!("cannot draw chart: {e}"));
        let (points, minutes) = self.points();
        if points.is_empty() {
            return Err(Error::invalid_in(path.display().to_string(), "the run has no minute to plot"));
        }
        type Getter = fn(&Bucket) -> f64;
        // (label, value, snapshot at the bucket's end rather than over it)
        let panels: [(&str, Getter, bool); 5] = [
            ("requests / min", |b| b.requests, false),
            ("hit ratio", |b| b.hit, false),
            ("p99 latency (ms)", |b| b.p99, false),
            ("loaded models", |b| b.loaded, true),
            ("instances", |b| b.instances, true),
        ];
        let x_max = minutes as f64;
        let root = SVGBackend::new(path, (900, 1000)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let root = root.titled(title, ("sans-serif", 22)).map_err(|e| err(&e))?;
        let areas = root.split_evenly((panels.len(), 1));
        for (k, ((label, get, snapshot), area)) in panels.iter().zip(areas.iter()).enumerate() {
            let y_max =
                points.iter().map(get).fold(0.0f64, f64::max).max(if *label == "hit ratio" { 1.0 } else { 1e-9 }) * 1.1;
            let mut chart = ChartBuilder::on(area)
                .margin(8)
                .x_label_area_size(if k + 1 == panels.len() { 34 } else { 18 })
                .y_label_area_size(64)
                .build_cartesian_2d(0.0..x_max, 0.0..y_max)
                .map_err(|e| err(&e))?;
            let mut mesh = chart.configure_mesh();
            mesh.y_desc(*label).light_line_style(RGBColor(238, 238, 238)).x_label_formatter(&|x| format!("{x:.0}"));
            if k + 1 == panels.len() {
                mesh.x_desc("minute");
            }
            mesh.draw().map_err(|e| err(&e))?;
            for f in faults {
                let x0 = f.start.as_secs_f64() / 60.0;
                let x1 = f.end.map_or(x_max, |e| e.as_secs_f64() / 60.0).min(x_max);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x0, 0.0), (x1, y_max)],
                        RGBColor(214, 39, 40).mix(0.15).filled(),
                    )))
                    .map_err(|e| err(&e))?;
            }
            let c = PALETTE[k % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|b| {
                        let at = if *snapshot { b.minutes as f64 } else { b.minutes as f64 / 2.0 };
                        (b.first as f64 + at, get(b))
                    }),
                    c.stroke_width(2),
                ))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
        Ok(())
    }
}

impl mmesim_core::MinuteSink for Timeline {
    fn minute(&mut self, minute: &mmesim_core::MinuteMetrics) -> Result<(), mmesim_core::SinkError> {
        self.add(minute);
        Ok(())
    }
}

/// Points of one label in a [`frontier_svg`] chart: `(cost per hour, p99
/// ms, passes)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScatterGroup {
    /// Legend label (an instance type).
    pub label: String,
    /// `(x, y, filled)` points.
    pub points: Vec<(f64, f64, bool)>,
}

/// Writes the recommender's picture to `path` as SVG: every configuration
/// tried as cost per hour (x, log scale) against worst p99 in ms (y, log scale), one
/// colour per instance type, filled when it meets the targets and hollow
/// when it does not; the p99 target as a dashed line; and the `frontier`
/// (points `(cost per hour, p99 ms)` in cost order, as the caller computes
/// it: configurations no cheaper one beats on p99) as a black step line.
pub fn frontier_svg(
    path: &Path,
    title: &str,
    groups: &[ScatterGroup],
    frontier: &[(f64, f64)],
    target_p99_ms: f64,
) -> Result<(), Error> {
    use plotters::prelude::*;
    let err = |e: &dyn std::fmt::Display| Error::io_in(path.display().to_string(), format!("cannot draw chart: {e}"));
    let all: Vec<(f64, f64)> = groups.iter().flat_map(|g| g.points.iter().map(|p| (p.0, p.1))).collect();
    if all.is_empty() {
        return Err(Error::invalid_in(path.display().to_string(), "nothing to plot"));
    }
    let x1 = all.iter().map(|p| p.0).fold(0.0f64, f64::max).max(1e-6) * 1.15;
    let x0 = all.iter().map(|p| p.0).fold(f64::INFINITY, f64::min).max(1e-6) * 0.85;
    let ys = all.iter().map(|p| p.1).chain([target_p99_ms]);
    let (y0, y1) = ys.fold((f64::INFINITY, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
    let (y0, y1) = ((y0 * 0.7).max(1e-3), y1 * 1.5);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("cost, USD per hour (log)")
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_desc("worst p99 latency, ms (log)")
        .light_line_style(RGBColor(238, 238, 238))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| err(&e))?;
    // The target.
    chart
        .draw_series(DashedLineSeries::new([(x0, target_p99_ms), (x1, target_p99_ms)], 8, 5, RED.stroke_width(1)))
        .map_err(|e| err(&e))?
        .label(format!("p99 target {target_p99_ms} ms"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED.stroke_width(1)));
    // The frontier as a step line.
    let mut steps = Vec::new();
    for (i, p) in frontier.iter().enumerate() {
        if i > 0 {
            steps.push((p.0, frontier[i - 1].1));
        }
        steps.push(*p);
    }
    if let Some(last) = frontier.last() {
        steps.push((x1, last.1));
    }
    chart
        .draw_series(LineSeries::new(steps, BLACK.stroke_width(1)))
        .map_err(|e| err(&e))?
        .label("cost / p99 frontier")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(1)));
    for (i, g) in groups.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(g.points.iter().map(|&(x, y, pass)| {
                let style = if pass { c.filled() } else { c.stroke_width(2) };
                Circle::new((x, y), 5, style)
            }))
            .map_err(|e| err(&e))?
            .label(g.label.clone())
            .legend(move |(x, y)| Circle::new((x + 9, y), 5, c.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
