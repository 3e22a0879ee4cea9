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
pub fn timeline_svg(
    path: &Path,
    title: &str,
    minutes: &[mmesim_core::MinuteMetrics],
    faults: &[mmesim_core::FaultWindow],
) -> Result<(), Error> {
    use plotters::prelude::*;
    let err = |e: &dyn std::fmt::Display| Error::io_in(path.display().to_string(), format!("cannot draw chart: {e}"));
    if minutes.is_empty() {
        return Err(Error::invalid_in(path.display().to_string(), "the run has no minute to plot"));
    }
    // A last minute with no arrival is the drain after the workload ended:
    // its ratios would read as zero, so it is left out.
    let minutes = match minutes.split_last() {
        Some((last, rest)) if last.invocations == 0 && !rest.is_empty() => rest,
        _ => minutes,
    };
    type Getter = fn(&mmesim_core::MinuteMetrics) -> f64;
    // (label, value, snapshot at the minute's end rather than over it)
    let panels: [(&str, Getter, bool); 5] = [
        ("requests / min", |m| m.invocations as f64, false),
        ("hit ratio", |m| m.model_cache_hit, false),
        ("p99 latency (ms)", |m| m.p99_latency_ms, false),
        ("loaded models", |m| m.loaded_model_count as f64, true),
        ("instances", |m| m.instance_count as f64, true),
    ];
    let x_max = minutes.len() as f64;
    let root = SVGBackend::new(path, (900, 1000)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(|e| err(&e))?;
    let areas = root.split_evenly((panels.len(), 1));
    for (k, ((label, get, snapshot), area)) in panels.iter().zip(areas.iter()).enumerate() {
        let y_max =
            minutes.iter().map(get).fold(0.0f64, f64::max).max(if *label == "hit ratio" { 1.0 } else { 1e-9 }) * 1.1;
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
                minutes.iter().map(|m| (m.minute as f64 + if *snapshot { 1.0 } else { 0.5 }, get(m))),
                c.stroke_width(2),
            ))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
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
