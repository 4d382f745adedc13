//! Overrides: set the field at a dotted path (`arrivals.rate`,
//! `requests.latency`, `model.layers`) to a value written in RON — the
//! CLI's `--set path=value` and the sweep axes.
//!
//! Generic over the schema: the scenario is serialized into a [`Node`] tree
//! that keeps what RON needs to write it back (struct fields and enum
//! variants by name, numbers exactly), the node at `path` is replaced by the
//! value's text, and the tree is written out as RON and read back as a
//! scenario. The value is thus parsed as the type of the field it lands in,
//! whatever that type is, and a new field of the schema can be set with no
//! code here; a value of the wrong type is reported by
//! `serde_path_to_error` with the dotted path of the field and the type
//! expected.
//!
//! Navigation: a path segment names a struct field; `Some(..)`, newtype
//! wrappers and enum variants holding fields are looked through, so
//! `model.layers` reaches the `layers` of a `Custom` model.
//!
//! Conveniences (tried in this order when the value as written does not fit):
//! `implicit Some` (`warmup=30` means `Some(30.0)`), a bare word as a
//! string (`scheduler.name=greedy`), then as a preset (`model=BLOOM-7.1B`
//! means `Preset("BLOOM-7.1B")`).

use serde::ser::{self, Serialize};

use super::error::{bad_override, ScenarioError};
use super::schema::Scenario;

/// A serialized value, with every name RON needs to write it back.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Bool(bool),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F32(f32),
    F64(f64),
    Char(char),
    Str(String),
    Unit,
    None,
    Some(Box<Node>),
    NewtypeStruct(Box<Node>),
    Seq(Vec<Node>),
    Tuple(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Struct(Vec<(&'static str, Node)>),
    UnitVariant(&'static str),
    NewtypeVariant(&'static str, Box<Node>),
    TupleVariant(&'static str, Vec<Node>),
    StructVariant(&'static str, Vec<(&'static str, Node)>),
    /// RON text, written as is (a `ron::value::RawValue`, or a value being set).
    Raw(String),
}

/// Why a value cannot become a [`Node`].
#[derive(Debug)]
struct NodeError(String);

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NodeError {}

impl ser::Error for NodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        NodeError(msg.to_string())
    }
}

/// The token under which `ron::value::RawValue` serializes its text.
const RON_RAW_VALUE: &str = "$ron::private::RawValue";

struct NodeSerializer;

/// Collects the parts of a compound value.
struct Parts {
    kind: PartsKind,
    items: Vec<Node>,
    fields: Vec<(&'static str, Node)>,
    entries: Vec<(Node, Node)>,
    key: Option<Node>,
}

enum PartsKind {
    Seq,
    Tuple,
    Map,
    Struct,
    TupleVariant(&'static str),
    StructVariant(&'static str),
}

impl Parts {
    fn new(kind: PartsKind) -> Parts {
        Parts {
            kind,
            items: Vec::new(),
            fields: Vec::new(),
            entries: Vec::new(),
            key: None,
        }
    }

    fn finish(self) -> Node {
        match self.kind {
            PartsKind::Seq => Node::Seq(self.items),
            PartsKind::Tuple => Node::Tuple(self.items),
            PartsKind::Map => Node::Map(self.entries),
            PartsKind::Struct => Node::Struct(self.fields),
            PartsKind::TupleVariant(v) => Node::TupleVariant(v, self.items),
            PartsKind::StructVariant(v) => Node::StructVariant(v, self.fields),
        }
    }
}

fn to_node<T: Serialize + ?Sized>(v: &T) -> Result<Node, NodeError> {
    v.serialize(NodeSerializer)
}

impl ser::Serializer for NodeSerializer {
    type Ok = Node;
    type Error = NodeError;
    type SerializeSeq = Parts;
    type SerializeTuple = Parts;
    type SerializeTupleStruct = Parts;
    type SerializeTupleVariant = Parts;
    type SerializeMap = Parts;
    type SerializeStruct = Parts;
    type SerializeStructVariant = Parts;

    fn serialize_bool(self, v: bool) -> Result<Node, NodeError> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, NodeError> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Node, NodeError> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Node, NodeError> {
        Ok(Node::I64(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Node, NodeError> {
        Ok(Node::I64(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Node, NodeError> {
        Ok(Node::I128(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Node, NodeError> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Node, NodeError> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Node, NodeError> {
        Ok(Node::U64(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Node, NodeError> {
        Ok(Node::U64(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Node, NodeError> {
        Ok(Node::U128(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Node, NodeError> {
        Ok(Node::F32(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Node, NodeError> {
        Ok(Node::F64(v))
    }
    fn serialize_char(self, v: char) -> Result<Node, NodeError> {
        Ok(Node::Char(v))
    }
    fn serialize_str(self, v: &str) -> Result<Node, NodeError> {
        Ok(Node::Str(v.to_string()))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<Node, NodeError> {
        Err(NodeError(
            "byte strings are not supported in scenarios".into(),
        ))
    }
    fn serialize_none(self) -> Result<Node, NodeError> {
        Ok(Node::None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Node, NodeError> {
        Ok(Node::Some(Box::new(to_node(v)?)))
    }
    fn serialize_unit(self) -> Result<Node, NodeError> {
        Ok(Node::Unit)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Node, NodeError> {
        Ok(Node::Unit)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Node, NodeError> {
        Ok(Node::UnitVariant(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<Node, NodeError> {
        if name == RON_RAW_VALUE {
            // A RawValue serializes its text as a str inside this newtype.
            return match to_node(v)? {
                Node::Str(text) => Ok(Node::Raw(text)),
                other => Err(NodeError(format!("unexpected raw RON value {other:?}"))),
            };
        }
        Ok(Node::NewtypeStruct(Box::new(to_node(v)?)))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Node, NodeError> {
        Ok(Node::NewtypeVariant(variant, Box::new(to_node(v)?)))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Parts, NodeError> {
        Ok(Parts::new(PartsKind::Seq))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Parts, NodeError> {
        Ok(Parts::new(PartsKind::Tuple))
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Parts, NodeError> {
        Ok(Parts::new(PartsKind::Tuple))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Parts, NodeError> {
        Ok(Parts::new(PartsKind::TupleVariant(variant)))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Parts, NodeError> {
        Ok(Parts::new(PartsKind::Map))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Parts, NodeError> {
        Ok(Parts::new(PartsKind::Struct))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Parts, NodeError> {
        Ok(Parts::new(PartsKind::StructVariant(variant)))
    }
}

impl ser::SerializeSeq for Parts {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        self.items.push(to_node(v)?);
        Ok(())
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for Parts {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for Parts {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for Parts {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeMap for Parts {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), NodeError> {
        self.key = Some(to_node(k)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        let k = self
            .key
            .take()
            .ok_or_else(|| NodeError("map value without a key".into()))?;
        self.entries.push((k, to_node(v)?));
        Ok(())
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for Parts {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), NodeError> {
        self.fields.push((key, to_node(v)?));
        Ok(())
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for Parts {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), NodeError> {
        ser::SerializeStruct::serialize_field(self, key, v)
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.finish())
    }
}

/// RON text of a scalar, exactly as RON writes it (so that it reads back to the same bits).
fn ron_scalar<T: Serialize>(v: &T) -> String {
    ron::to_string(v).expect("a scalar always serializes")
}

impl Node {
    /// Writes the node as RON (structs without names, so that any struct type reads it).
    fn write_ron(&self, out: &mut String) {
        fn list<'a>(
            out: &mut String,
            open: &str,
            items: impl Iterator<Item = &'a Node>,
            close: &str,
        ) {
            out.push_str(open);
            for (i, n) in items.enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                n.write_ron(out);
            }
            out.push_str(close);
        }
        fn fields(out: &mut String, fs: &[(&'static str, Node)]) {
            out.push('(');
            for (i, (k, n)) in fs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                n.write_ron(out);
            }
            out.push(')');
        }
        match self {
            Node::Bool(v) => out.push_str(&ron_scalar(v)),
            Node::I64(v) => out.push_str(&ron_scalar(v)),
            Node::U64(v) => out.push_str(&ron_scalar(v)),
            Node::I128(v) => out.push_str(&ron_scalar(v)),
            Node::U128(v) => out.push_str(&ron_scalar(v)),
            Node::F32(v) => out.push_str(&ron_scalar(v)),
            Node::F64(v) => out.push_str(&ron_scalar(v)),
            Node::Char(v) => out.push_str(&ron_scalar(v)),
            Node::Str(v) => out.push_str(&ron_scalar(v)),
            Node::Unit => out.push_str("()"),
            Node::None => out.push_str("None"),
            Node::Some(n) => list(out, "Some(", std::iter::once(&**n), ")"),
            Node::NewtypeStruct(n) => list(out, "(", std::iter::once(&**n), ")"),
            Node::Seq(items) => list(out, "[", items.iter(), "]"),
            Node::Tuple(items) => list(out, "(", items.iter(), ")"),
            Node::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_ron(out);
                    out.push_str(": ");
                    v.write_ron(out);
                }
                out.push('}');
            }
            Node::Struct(fs) => fields(out, fs),
            Node::UnitVariant(v) => out.push_str(v),
            Node::NewtypeVariant(v, n) => {
                out.push_str(v);
                list(out, "(", std::iter::once(&**n), ")");
            }
            Node::TupleVariant(v, items) => {
                out.push_str(v);
                list(out, "(", items.iter(), ")");
            }
            Node::StructVariant(v, fs) => {
                out.push_str(v);
                fields(out, fs);
            }
            // A newline ends any line comment the text may end with.
            Node::Raw(text) => {
                out.push_str(text);
                out.push('\n');
            }
        }
    }

    /// The fields this node holds, looking through `Some`, newtypes and variants.
    fn fields_mut(&mut self) -> Option<&mut Vec<(&'static str, Node)>> {
        match self {
            Node::Struct(fs) | Node::StructVariant(_, fs) => Some(fs),
            Node::Some(n) | Node::NewtypeStruct(n) | Node::NewtypeVariant(_, n) => n.fields_mut(),
            _ => None,
        }
    }

    /// The node at the dotted `path` (relative to this one).
    fn at_mut(&mut self, path: &str) -> Result<&mut Node, String> {
        let mut node = self;
        let mut walked = String::new();
        for seg in path.split('.') {
            let here = if walked.is_empty() {
                "the scenario".to_string()
            } else {
                format!("`{walked}`")
            };
            let Some(fs) = node.fields_mut() else {
                return Err(format!("no such field: {here} has no fields"));
            };
            let Some(i) = fs.iter().position(|(k, _)| *k == seg) else {
                let names: Vec<&str> = fs.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "no such field: {here} has no field `{seg}`; its fields: {}",
                    names.join(", ")
                ));
            };
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(seg);
            node = &mut fs[i].1;
        }
        Ok(node)
    }

    /// Every dotted path below this node that names a field (of a struct
    /// only, or also of an enum variant).
    fn paths(&self, prefix: &str, variants: bool, out: &mut Vec<String>) {
        let fs = match self {
            Node::Struct(fs) => fs,
            Node::StructVariant(_, fs) if variants => fs,
            Node::Some(n) | Node::NewtypeStruct(n) => return n.paths(prefix, variants, out),
            Node::NewtypeVariant(_, n) if variants => return n.paths(prefix, variants, out),
            _ => return,
        };
        for (k, n) in fs {
            let p = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(p.clone());
            n.paths(&p, variants, out);
        }
    }
}

/// The ron options overrides are read with: `IMPLICIT_SOME`, so that `30`
/// sets an `Option<f64>` to `Some(30.0)`.
fn override_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Reads RON text as a scenario; on error, the parser's message, after the
/// dotted path of the field unless that is `path` itself.
fn read_tracked(text: &str, path: &str) -> Result<Scenario, String> {
    crate::range::read_ron(text, &override_options()).map_err(|e| match e.field {
        Some(f) if f != path => format!("field `{f}`: {}", e.message),
        _ => e.message,
    })
}

/// Whether `text` is a bare word: letters, digits, `-`, `.`, `_`, `+`.
fn bare_word(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '+'))
}

/// The forms a value may stand for, in the order they are tried.
fn candidates(value: &str) -> Vec<String> {
    let mut v = vec![value.to_string()];
    if bare_word(value) {
        let quoted = ron_scalar(&value);
        v.push(quoted.clone());
        v.push(format!("Preset({quoted})"));
    }
    v
}

impl Scenario {
    fn tree(&self) -> Node {
        to_node(self).expect("a scenario serializes into a node tree")
    }

    /// Every dotted field path of this scenario that [`Scenario::set`]
    /// accepts, in file order (fields of the current enum variants and
    /// of a present `sweep` included).
    pub fn field_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.tree().paths("", true, &mut out);
        out
    }

    /// The paths of [`Scenario::field_paths`] that name fields of structs
    /// (not of enum variants): the fields docs/scenario.md tabulates.
    pub fn struct_field_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.tree().paths("", false, &mut out);
        out
    }

    /// This scenario with each `(path, value)` set, all at once: `value` is
    /// RON of the type of the field at `path`, exactly as written (no
    /// conveniences; see [`Scenario::set`]). No two paths may be one
    /// inside the other. No range check.
    ///
    /// # Errors
    /// [`ScenarioError::Override`] naming the path: no such field, a value
    /// that is not one RON value, or one not of the field's type.
    pub fn with_values(&self, values: &[(&str, &str)]) -> Result<Scenario, ScenarioError> {
        // Scheduler options exist only once given: they are set on the spec
        // (the scheduler checks them when it is built), the rest on the tree.
        let mut base = self.clone();
        let mut fields = Vec::with_capacity(values.len());
        for &(path, value) in values {
            match path.strip_prefix("scheduler.").filter(|k| *k != "name") {
                Some(option) => base
                    .scheduler
                    .set_option_ron(option, value)
                    .map_err(|m| bad_override(path, m))?,
                None => fields.push((path, value)),
            }
        }
        let mut tree = base.tree();
        for (path, value) in fields {
            let err = |message: String| bad_override(path, message);
            ron::value::RawValue::from_ron(value)
                .map_err(|e| err(format!("`{value}`: {}", e.code)))?;
            *tree.at_mut(path).map_err(err)? = Node::Raw(value.to_string());
        }
        let mut text = String::new();
        tree.write_ron(&mut text);
        let paths: Vec<&str> = values.iter().map(|(p, _)| *p).collect();
        let paths = paths.join(", ");
        read_tracked(&text, &paths).map_err(|message| bad_override(&paths, message))
    }

    /// The form of `value` that [`Scenario::set`] would use at `path`: the
    /// text itself, or, for a bare word that does not fit as written, the
    /// word as a string or as `Preset("word")`.
    ///
    /// # Errors
    /// As [`Scenario::with_values`], for the value as written.
    pub fn resolve_value(&self, path: &str, value: &str) -> Result<String, ScenarioError> {
        self.first_fit(path, value).map(|(text, _)| text)
    }

    /// The first form of `value` that fits at `path`, and the scenario with it set;
    /// else the error of the value as written.
    fn first_fit(&self, path: &str, value: &str) -> Result<(String, Scenario), ScenarioError> {
        let mut first = None;
        for c in candidates(value.trim()) {
            match self.with_values(&[(path, &c)]) {
                Ok(s) => return Ok((c, s)),
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        Err(first.expect("at least one candidate"))
    }

    /// Sets the field at the dotted `path` to `value`, RON text of that
    /// field's type: `arrivals.rate` = `250`, `requests.latency` =
    /// `Uniform(lo: 0.5, hi: 1.0)`, `warmup` = `30`, `Some(30)` or `None`,
    /// `scheduler.name` = `static` (a string may be bare), `model` =
    /// `BLOOM-7.1B` (a bare preset name). Setting a whole struct (`slots`)
    /// takes a RON struct whose missing fields get their defaults, not
    /// their current values. A scheduler option (`scheduler.z_start` = `All`)
    /// is set whether or not the file gave it: the scheduler checks its own
    /// options when it is built. No range check: call [`Scenario::validate`] after.
    ///
    /// # Errors
    /// [`ScenarioError::Override`] naming the path: no such field, or a value
    /// that is not RON of the field's type.
    pub fn set(&mut self, path: &str, value: &str) -> Result<(), ScenarioError> {
        *self = self.first_fit(path, value)?.1;
        Ok(())
    }

    /// Parses `path=value` (the CLI's `--set` syntax) and applies it with [`Scenario::set`].
    ///
    /// # Errors
    /// [`ScenarioError::Override`]: no `=`, or as [`Scenario::set`].
    pub fn apply_assignment(&mut self, assignment: &str) -> Result<(), ScenarioError> {
        let Some((path, value)) = assignment.split_once('=') else {
            return Err(bad_override(assignment, "expected path=value"));
        };
        self.set(path.trim(), value.trim())
    }
}
