//! The core's [`Host`] over napi-rs values: each question the contract asks of a JavaScript
//! value becomes one or two Node-API calls on that value, made only when the core asks.

use napi::bindgen_prelude::{
    FnArgs, FromNapiValue, Function, JsObjectValue, Null, Object, ObjectRef, Uint8Array, Unknown,
};
use napi::{Env, JsDate, JsString, JsValue, ValueType};

use crate::core::host::{Failure, Host, Key, Kind, Outcome};

/// Reads the arguments of one call. Its values borrow the call's `Env`, so no handle can
/// outlive the call that made it.
pub struct NodeHost<'env> {
    env: &'env Env,
    /// The environment's kept values, once this call has needed one.
    kept: Option<EnvValues<'env>>,
    /// The keys this call has used so far.
    keys: Vec<(Key, JsString<'env>)>,
    /// The handle last read from, known not to be `null` or `undefined`.
    last_target: Option<napi::sys::napi_value>,
}

/// What an environment keeps across calls (its instance data; Node-API deletes the references
/// with the environment):
/// - `keys`: the string of each [`Key`] at the key's index, made the first time a call needs
///   it, in an object without a prototype. Making a key and hashing it on lookup costs more than the read itself, and V8 turns a
///   key into a pointer to its internalized twin on first use. An object holds them, since
///   Node-API before version 10 keeps no reference to a string.
/// - `object_keys`: the engine's `Object.keys` as it was when the environment first needed it.
struct EnvRefs {
    keys: ObjectRef<false>,
    object_keys: ObjectRef<false>,
}

#[derive(Clone, Copy)]
struct EnvValues<'env> {
    keys: Object<'env>,
    object_keys: Function<'env, Unknown<'env>, Unknown<'env>>,
}

impl<'env> NodeHost<'env> {
    pub fn new(env: &'env Env) -> Self {
        NodeHost {
            env,
            kept: None,
            keys: Vec::new(),
            last_target: None,
        }
    }

    fn key(&mut self, key: Key) -> Outcome<JsString<'env>> {
        if let Some((_, made)) = self.keys.iter().find(|(k, _)| *k == key) {
            return Ok(*made);
        }
        let mut table = self.kept()?.keys;
        let slot = key as u32;
        let kept: Unknown<'env> = table.get_element(slot)?;
        let made = match checked::<JsString>(kept, kept.get_type()?, ValueType::String)? {
            Some(string) => string,
            None => {
                let string = self.env.create_string(key.name())?;
                table.set_element(slot, string)?;
                string
            }
        };
        self.keys.push((key, made));
        Ok(made)
    }

    fn kept(&mut self) -> Outcome<EnvValues<'env>> {
        if let Some(kept) = self.kept {
            return Ok(kept);
        }
        let refs = match self.env.get_instance_data::<EnvRefs>()? {
            Some(refs) => refs,
            None => {
                let object: Object<'env> = self.env.get_global()?.get_named_property_unchecked("Object")?;
                let object_keys: Object<'env> = object.get_named_property_unchecked("keys")?;
                let refs = EnvRefs {
                    keys: key_table(object)?.create_ref()?,
                    object_keys: object_keys.create_ref()?,
                };
                self.env.set_instance_data(refs, (), |_| {})?;
                self.env
                    .get_instance_data::<EnvRefs>()?
                    .ok_or_else(|| Failure::Internal("paperclip-session-compaction: no instance data".to_owned()))?
            }
        };
        let object_keys = refs.object_keys.get_value(self.env)?.to_unknown();
        let kept = EnvValues {
            keys: refs.keys.get_value(self.env)?,
            object_keys: checked(object_keys, object_keys.get_type()?, ValueType::Function)?.ok_or_else(|| {
                Failure::Internal("paperclip-session-compaction: Object.keys is not a function".to_owned())
            })?,
        };
        self.kept = Some(kept);
        Ok(kept)
    }

    /// `value` viewed as an object, for property reads (Node-API boxes primitives itself).
    fn object(&self, value: Unknown<'env>) -> Object<'env> {
        Object::from_raw(self.env.raw(), value.raw())
    }

    /// `target[name]` for a property the binding reads itself (the audit's options, read once a
    /// call: no key is kept for them). `target` is an object.
    pub fn get_named(&mut self, target: Unknown<'env>, name: &str) -> Outcome<Unknown<'env>> {
        Ok(self
            .object(target)
            .get_named_property_unchecked::<Unknown<'env>>(name)?)
    }

    /// The bytes of a `Uint8Array` (a Node.js `Buffer` is one), else none.
    pub fn bytes(&self, value: Unknown<'env>) -> Outcome<Option<Uint8Array>> {
        if value.get_type()? != ValueType::Object || !(value.is_typedarray()? || value.is_buffer()?) {
            return Ok(None);
        }
        // SAFETY: `value` is a live typed array of this call; the conversion itself checks
        // that its element type is `Uint8` and fails otherwise.
        Ok(unsafe { value.cast::<Uint8Array>() }.ok())
    }
}

/// The table of kept keys: `Object.create(null)`, so that nothing set on `Object.prototype`
/// (`Object.prototype[21] = "status"`) can stand in for a key not made yet.
fn key_table<'env>(object: Object<'env>) -> Outcome<Object<'env>> {
    // In `FnArgs`: napi-rs passes a lone zero-sized argument such as `Null` as no argument.
    let create: Function<'env, FnArgs<(Null,)>, Unknown<'env>> = object.get_named_property_unchecked("create")?;
    let table = create.call((Null,).into())?;
    let bare = checked::<Object<'env>>(table, table.get_type()?, ValueType::Object)?;
    bare.ok_or_else(|| Failure::Internal("paperclip-session-compaction: Object.create(null) gave no object".to_owned()))
}

/// `value` converted to `T` after its `typeof` was checked to be `T`'s.
fn checked<'env, T: FromNapiValue>(value: Unknown<'env>, actual: ValueType, expected: ValueType) -> Outcome<Option<T>> {
    if actual != expected {
        return Ok(None);
    }
    // SAFETY: `value` is a live handle of this call whose JavaScript type is `expected`,
    // the type `T` converts from (f64 from a number, bool from a boolean, JsString from a
    // string, JsDate from a Date object, Function from a function).
    Ok(Some(unsafe { value.cast::<T>() }?))
}

impl<'env> Host for NodeHost<'env> {
    type Value = Unknown<'env>;

    fn get(&mut self, target: Unknown<'env>, key: Key, path: &dyn Fn() -> String) -> Outcome<Unknown<'env>> {
        // Reads come in runs on one target (a run's fields, then its usage record's): its type
        // is checked once for the run.
        if self.last_target != Some(target.raw()) {
            if matches!(target.get_type()?, ValueType::Undefined | ValueType::Null) {
                return Err(Failure::Type(format!("{} must be an object", path())));
            }
            self.last_target = Some(target.raw());
        }
        let key = self.key(key)?;
        Ok(self.object(target).get_property_unchecked(key)?)
    }

    fn element(&mut self, array: Unknown<'env>, index: u32) -> Outcome<Unknown<'env>> {
        Ok(self.object(array).get_element::<Unknown<'env>>(index)?)
    }

    fn kind(&mut self, value: Unknown<'env>) -> Outcome<Kind> {
        let ty = value.get_type()?;
        Ok(match ty {
            ValueType::Undefined => Kind::Undefined,
            ValueType::Null => Kind::Null,
            ValueType::Boolean => Kind::Boolean(checked(value, ty, ValueType::Boolean)?.unwrap_or(false)),
            ValueType::Number => Kind::Number(checked(value, ty, ValueType::Number)?.unwrap_or(f64::NAN)),
            ValueType::String => Kind::String,
            ValueType::Function => Kind::Function,
            ValueType::Object | ValueType::External if value.is_array()? => Kind::Array,
            ValueType::Object | ValueType::External if value.is_date()? => {
                let date: Option<JsDate> = checked(value, ValueType::Object, ValueType::Object)?;
                Kind::Date(date.map_or(Ok(f64::NAN), |d| d.value_of())?)
            }
            ValueType::Object | ValueType::External => Kind::Object,
            _ => Kind::Other,
        })
    }

    fn number(&mut self, value: Unknown<'env>) -> Outcome<Option<f64>> {
        checked(value, value.get_type()?, ValueType::Number)
    }

    fn boolean(&mut self, value: Unknown<'env>) -> Outcome<Option<bool>> {
        checked(value, value.get_type()?, ValueType::Boolean)
    }

    fn is_record(&mut self, value: Unknown<'env>) -> Outcome<bool> {
        Ok(value.get_type()? == ValueType::Object && !value.is_array()?)
    }

    fn is_nullish(&mut self, value: Unknown<'env>) -> Outcome<bool> {
        Ok(matches!(value.get_type()?, ValueType::Undefined | ValueType::Null))
    }

    fn string_equals(&mut self, value: Unknown<'env>, units: &[u16]) -> Outcome<bool> {
        let string: Option<JsString> = checked(value, value.get_type()?, ValueType::String)?;
        // Only a string of the same length is copied to be compared.
        match string {
            Some(s) if s.utf16_len()? == units.len() => {
                let own = s.into_utf16()?;
                Ok(own.as_slice().split_last().is_some_and(|(_, text)| text == units))
            }
            _ => Ok(false),
        }
    }

    fn array_length(&mut self, value: Unknown<'env>) -> Outcome<Option<u32>> {
        // `Array.isArray` is false for a Proxy of an array here, as Node-API sees it.
        if !value.is_array()? {
            return Ok(None);
        }
        Ok(Some(self.object(value).get_array_length_unchecked()?))
    }

    fn string_units(&mut self, value: Unknown<'env>) -> Outcome<Option<Vec<u16>>> {
        let string: Option<JsString> = checked(value, value.get_type()?, ValueType::String)?;
        let Some(string) = string else {
            return Ok(None);
        };
        // UTF-16, the one lossless form: lone surrogates survive. napi-rs's copy ends with the
        // NUL that Node-API writes, which is not part of the string.
        let units = string.into_utf16()?;
        let (_, text) = units.as_slice().split_last().unwrap_or((&0, &[]));
        Ok(Some(text.to_vec()))
    }

    fn strictly_equal(&mut self, a: Unknown<'env>, b: Unknown<'env>) -> Outcome<bool> {
        Ok(self.env.strict_equals(a, b)?)
    }

    fn has_own_keys(&mut self, value: Unknown<'env>) -> Outcome<bool> {
        // The engine's own `Object.keys`, as the contract calls it.
        // `apply`, not `call`: a throwing `ownKeys` trap's exception stays pending and
        // propagates as the same value.
        let listed = self.kept()?.object_keys.apply((), value)?;
        Ok(self.array_length(listed)?.is_some_and(|length| length > 0))
    }

    fn parse_date_fallback(&mut self, units: &[u16]) -> Outcome<f64> {
        // `new Date(string)`, as the contract reads a time: the engine's own parser, which a
        // patched `Date.parse` does not reach.
        let date: Function<'env, napi::bindgen_prelude::Utf16String, Unknown<'env>> =
            self.env.get_global()?.get_named_property_unchecked("Date")?;
        let made = date.new_instance(units.to_vec().into())?;
        match self.kind(made)? {
            Kind::Date(time) => Ok(time),
            _ => Err(Failure::Internal(
                "paperclip-session-compaction: Date did not construct a Date".to_owned(),
            )),
        }
    }
}
