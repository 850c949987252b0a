//! HTML from the templates of `reports/` (minijinja). The templates get the
//! report model as it is after disclosure control, with the charts as
//! ready-made SVG.

use super::source::ReportSource;
use crate::error::{Error, Result};
use minijinja::{Environment, Value};
use serde::Serialize;

pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    pub fn new(source: &ReportSource) -> Result<Renderer> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") { minijinja::AutoEscape::Html } else { minijinja::AutoEscape::None }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, _) in super::source::EMBEDDED {
            if name.ends_with(".html") || name.ends_with(".css") {
                let text = source.require(name)?;
                env.add_template_owned(name.to_string(), text).map_err(|e| template_error(source, name, &e))?;
            }
        }
        // Charts are SVG made by `charts`, from published values only.
        env.add_filter("svg", |svg: String| Value::from_safe_string(svg));
        Ok(Renderer { env })
    }

    pub fn render(&self, template: &str, context: &impl Serialize, source: &ReportSource) -> Result<String> {
        let template = self.env.get_template(template).map_err(|e| template_error(source, template, &e))?;
        template
            .render(Value::from(minijinja::value::Serde(context)))
            .map_err(|e| template_error(source, template.name(), &e))
    }
}

fn template_error(source: &ReportSource, name: &str, error: &minijinja::Error) -> Error {
    let line = error.line().map(|l| format!(", line {l}")).unwrap_or_default();
    Error::Invalid(format!("the report template {name} ({}{line}) cannot be used: {}", source.origin(), error))
}
