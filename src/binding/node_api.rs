//! The one module with `unsafe` code: thin wrappers over raw Node-API calls, and the
//! core's [`Host`] implemented over live JavaScript values.
//!
//! Every function here runs inside a Node-API callback on the JavaScript thread that
//! called us; `env` and every `napi_value` are valid until that callback returns, and none
//! is kept beyond it.

use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use napi::sys;

use crate::core::host::{Failure, Host, Key, Kind, Outcome};
use crate::core::js_semantics::units_eq_ascii;

/// A Node-API environment for the duration of one callback.
#[derive(Clone, Copy)]
pub struct Js {
    env: sys::napi_env,
}

/// A JavaScript value handed to us by Node-API during the running callback. Only this
/// module can make one, so every `Value` is a live handle.
#[derive(Clone, Copy)]
pub struct Value(sys::napi_value);

impl Js {
    /// # Safety
    /// `env` must be the environment of the Node-API callback that is running now.
    pub unsafe fn new(env: sys::napi_env) -> Js {
        Js { env }
    }

    /// Turns a Node-API status into an outcome: a pending exception propagates as is.
    fn check(self, status: sys::napi_status) -> Outcome<()> {
        if status == sys::Status::napi_ok {
            return Ok(());
        }
        if self.exception_pending() {
            return Err(Failure::Thrown);
        }
        Err(Failure::Type(format!("Node-API call failed with status {status}")))
    }

    fn exception_pending(self) -> bool {
        let mut pending = false;
        // SAFETY: valid env (see module docs); `pending` is a live local.
        let status = unsafe { sys::napi_is_exception_pending(self.env, &mut pending) };
        status == sys::Status::napi_ok && pending
    }

    fn clear_exception(self) {
        let mut ignored = ptr::null_mut();
        // SAFETY: valid env; the result handle is a live local we drop.
        unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut ignored) };
    }

    /// The callback's first `N` arguments (missing ones are `undefined`), and how many the
    /// caller passed.
    ///
    /// # Safety
    /// `info` must be the callback info of the callback that is running now.
    pub unsafe fn arguments<const N: usize>(self, info: sys::napi_callback_info) -> Outcome<([Value; N], usize)> {
        let mut argv: [sys::napi_value; N] = [ptr::null_mut(); N];
        let mut argc = N;
        // SAFETY: `argv` has room for `argc` handles; `info` is valid per the caller.
        let status = unsafe {
            sys::napi_get_cb_info(
                self.env,
                info,
                &mut argc,
                argv.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        self.check(status)?;
        Ok((argv.map(Value), argc))
    }

    pub fn null(self) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env; `out` is a live local.
        self.check(unsafe { sys::napi_get_null(self.env, &mut out) })?;
        Ok(Value(out))
    }

    pub fn undefined(self) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env; `out` is a live local.
        self.check(unsafe { sys::napi_get_undefined(self.env, &mut out) })?;
        Ok(Value(out))
    }

    pub fn boolean(self, value: bool) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env; `out` is a live local.
        self.check(unsafe { sys::napi_get_boolean(self.env, value, &mut out) })?;
        Ok(Value(out))
    }

    pub fn number(self, value: f64) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env; `out` is a live local.
        self.check(unsafe { sys::napi_create_double(self.env, value, &mut out) })?;
        Ok(Value(out))
    }

    /// A JavaScript string with exactly these UTF-16 code units (lone surrogates included).
    pub fn string(self, units: &[u16]) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        let Ok(length) = isize::try_from(units.len()) else {
            return Err(Failure::Type("string too long".to_owned()));
        };
        // SAFETY: valid env; `units` is readable for `length` code units.
        self.check(unsafe { sys::napi_create_string_utf16(self.env, units.as_ptr(), length, &mut out) })?;
        Ok(Value(out))
    }

    pub fn ascii(self, text: &str) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        let Ok(length) = isize::try_from(text.len()) else {
            return Err(Failure::Type("string too long".to_owned()));
        };
        // SAFETY: valid env; `text` is readable for `length` bytes.
        self.check(unsafe {
            sys::napi_create_string_latin1(self.env, text.as_ptr().cast::<c_char>(), length, &mut out)
        })?;
        Ok(Value(out))
    }

    pub fn array(self, items: &[Value]) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env; `out` is a live local.
        self.check(unsafe { sys::napi_create_array_with_length(self.env, items.len(), &mut out) })?;
        for (index, item) in (0u32..).zip(items) {
            // SAFETY: valid env and handles.
            self.check(unsafe { sys::napi_set_element(self.env, out, index, item.0) })?;
        }
        Ok(Value(out))
    }

    pub fn object(self) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env; `out` is a live local.
        self.check(unsafe { sys::napi_create_object(self.env, &mut out) })?;
        Ok(Value(out))
    }

    /// `target[name] = value` for a name without NUL bytes.
    pub fn set(self, target: Value, name: &CStr, value: Value) -> Outcome<()> {
        // SAFETY: valid env and handles; `name` is NUL-terminated.
        self.check(unsafe { sys::napi_set_named_property(self.env, target.0, name.as_ptr(), value.0) })
    }

    /// Registers a native function on `exports` under `name`.
    pub fn export_function(self, exports: Value, name: &CStr, callback: sys::napi_callback) -> Outcome<()> {
        let mut function = ptr::null_mut();
        // SAFETY: valid env; `name` is NUL-terminated (length -1 means "up to the NUL").
        self.check(unsafe {
            sys::napi_create_function(self.env, name.as_ptr(), -1, callback, ptr::null_mut(), &mut function)
        })?;
        self.set(exports, name, Value(function))
    }

    /// Raises `failure` in JavaScript: a `TypeError`, or nothing for an exception already pending.
    pub fn raise(self, failure: &Failure) {
        match failure {
            Failure::Thrown if self.exception_pending() => {}
            Failure::Thrown => self.throw_error("paperclip-session-compaction: a read failed without an exception"),
            Failure::Type(message) => {
                self.clear_exception();
                let text = std::ffi::CString::new(message.replace('\0', "\\0")).unwrap_or_default();
                // SAFETY: valid env; `text` is NUL-terminated and outlives the call.
                unsafe { sys::napi_throw_type_error(self.env, ptr::null(), text.as_ptr()) };
            }
        }
    }

    /// Raises a plain `Error` (for failures of our own, such as a caught panic).
    pub fn throw_error(self, message: &str) {
        self.clear_exception();
        let text = std::ffi::CString::new(message.replace('\0', "\\0")).unwrap_or_default();
        // SAFETY: valid env; `text` is NUL-terminated and outlives the call.
        unsafe { sys::napi_throw_error(self.env, ptr::null(), text.as_ptr()) };
    }

    fn typeof_(self, value: Value) -> Outcome<sys::napi_valuetype> {
        let mut out = 0;
        // SAFETY: valid env and handle; `out` is a live local.
        self.check(unsafe { sys::napi_typeof(self.env, value.0, &mut out) })?;
        Ok(out)
    }

    pub fn is_undefined(self, value: Value) -> Outcome<bool> {
        Ok(self.typeof_(value)? == sys::ValueType::napi_undefined)
    }

    fn is_array(self, value: Value) -> Outcome<bool> {
        let mut out = false;
        // SAFETY: valid env and handle; `out` is a live local.
        self.check(unsafe { sys::napi_is_array(self.env, value.0, &mut out) })?;
        Ok(out)
    }

    fn date_value(self, value: Value) -> Outcome<Option<f64>> {
        let mut is_date = false;
        // SAFETY: valid env and handle; `is_date` is a live local.
        self.check(unsafe { sys::napi_is_date(self.env, value.0, &mut is_date) })?;
        if !is_date {
            return Ok(None);
        }
        let mut time = f64::NAN;
        // SAFETY: valid env; the handle is a Date; `time` is a live local.
        self.check(unsafe { sys::napi_get_date_value(self.env, value.0, &mut time) })?;
        Ok(Some(time))
    }

    fn global_property(self, target: Value, name: &CStr) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env and handle; `name` is NUL-terminated.
        self.check(unsafe { sys::napi_get_named_property(self.env, target.0, name.as_ptr(), &mut out) })?;
        Ok(Value(out))
    }
}

/// Whether this Node.js has `node_api_create_property_key_latin1` (20.18+, 22.9+), decided
/// once at load time; without it keys are plain strings, which V8 internalises on lookup.
static INTERNED_KEYS: AtomicBool = AtomicBool::new(false);

fn detect_interned_keys(js: Js) {
    let mut version: *const sys::napi_node_version = ptr::null();
    // SAFETY: valid env; Node-API owns the returned struct for the env's lifetime.
    let status = unsafe { sys::napi_get_node_version(js.env, &mut version) };
    if status != sys::Status::napi_ok || version.is_null() {
        return;
    }
    // SAFETY: non-null and owned by Node-API, read right away.
    let (major, minor) = unsafe { ((*version).major, (*version).minor) };
    let has = major > 22 || (major == 22 && minor >= 9) || (major == 20 && minor >= 18);
    INTERNED_KEYS.store(has, Ordering::Relaxed);
}

/// Reads the input of one call for the core, with the property keys the package's JavaScript
/// entry passes after the arguments (or, called without them, interning each key the first
/// time the call needs it), asking Node-API the narrowest question that answers the core.
pub struct Reader {
    js: Js,
    keys: [sys::napi_value; Key::ALL.len()],
    /// Handle scopes open inside the call: a key made inside one dies with it, so only keys
    /// made at depth 0 are kept for the rest of the call.
    scope_depth: u32,
    /// `Object.keys` as the caller passed it after the keys (null when not passed).
    object_keys: sys::napi_value,
    /// The entry's `Float64Array` for an answer's scalars (null when not passed).
    scratch: sys::napi_value,
}

impl Reader {
    /// A reader that interns each key it needs.
    pub fn new(js: Js) -> Reader {
        Reader {
            js,
            keys: [ptr::null_mut(); Key::ALL.len()],
            scope_depth: 0,
            object_keys: ptr::null_mut(),
            scratch: ptr::null_mut(),
        }
    }

    /// A reader over what the package's JavaScript entry passes after the arguments: one
    /// property key per [`Key::ALL`] entry in that order, `Object.keys`, then the scratch
    /// array for answers (the handles live until the call returns). Anything else falls back
    /// to making the keys here and answering whole objects.
    fn with_forwarded(js: Js, forwarded: &[Value]) -> Reader {
        let mut reader = Reader::new(js);
        if let [keys @ .., object_keys, scratch] = forwarded {
            if keys.len() == Key::ALL.len() {
                for (slot, key) in reader.keys.iter_mut().zip(keys) {
                    *slot = key.0;
                }
                reader.object_keys = object_keys.0;
                reader.scratch = scratch.0;
            }
        }
        reader
    }

    /// Writes `form` and then an answer's `scalars` into the caller's scratch `Float64Array`
    /// (slot 0, then from slot 1). `false` when the call came without one (or not a
    /// `Float64Array` long enough). Call it after the last read of the input.
    pub fn write_scratch(&mut self, form: f64, scalars: &[f64]) -> Outcome<bool> {
        if self.scratch.is_null() {
            return Ok(false);
        }
        let (mut kind, mut length, mut offset) = (0, 0, 0);
        let (mut data, mut buffer) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid env and handle; every out-pointer is a live local.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                self.js.env,
                self.scratch,
                &mut kind,
                &mut length,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        };
        let fits = status == sys::Status::napi_ok
            && kind == sys::TypedarrayType::float64_array
            && length > scalars.len()
            && !data.is_null();
        if !fits {
            return Ok(false);
        }
        let slots = data.cast::<f64>();
        // SAFETY: `slots` is the start of the array's `length` (> scalars.len()) f64 elements,
        // 8-byte aligned as every Float64Array's are. No JavaScript runs between the call above
        // and these writes, so the buffer can be neither detached nor moved in between; the
        // source is Rust memory and cannot overlap it.
        unsafe {
            slots.write(form);
            ptr::copy_nonoverlapping(scalars.as_ptr(), slots.add(1), scalars.len());
        }
        Ok(true)
    }

    /// The environment, for making values.
    pub fn js(&self) -> Js {
        self.js
    }

    /// A plain object with these own properties, in this order, as `{ k1: v1, k2: v2 }`
    /// makes it (writable, enumerable, configurable), defined in one Node-API call.
    pub fn object(&mut self, fields: &[(Key, Value)]) -> Outcome<Value> {
        const MAX_FIELDS: usize = 4;
        let out = self.js.object()?;
        let mut descriptors = [sys::napi_property_descriptor {
            utf8name: ptr::null(),
            name: ptr::null_mut(),
            method: None,
            getter: None,
            setter: None,
            value: ptr::null_mut(),
            attributes: sys::PropertyAttributes::writable
                | sys::PropertyAttributes::enumerable
                | sys::PropertyAttributes::configurable,
            data: ptr::null_mut(),
        }; MAX_FIELDS];
        if fields.len() > MAX_FIELDS {
            return Err(Failure::Type("internal: too many answer fields".to_owned()));
        }
        for (descriptor, (key, value)) in descriptors.iter_mut().zip(fields) {
            descriptor.name = self.key(*key)?;
            descriptor.value = value.0;
        }
        // SAFETY: valid env and handles; the first `fields.len()` descriptors are filled in,
        // each with a key handle and a value handle.
        self.js
            .check(unsafe { sys::napi_define_properties(self.js.env, out.0, fields.len(), descriptors.as_ptr()) })?;
        Ok(out)
    }

    /// Copies a string's first `buffer.len() - 1` code units into `buffer` (Node-API ends
    /// them with a NUL): how many it copied, or none when the value is not a string (the
    /// "string expected" status is the type check).
    fn copy_units(&mut self, value: Value, buffer: &mut [u16]) -> Outcome<Option<usize>> {
        let mut copied = 0;
        // SAFETY: valid env and handle; `buffer` has room for its length in code units.
        let status = unsafe {
            sys::napi_get_value_string_utf16(self.js.env, value.0, buffer.as_mut_ptr(), buffer.len(), &mut copied)
        };
        if status == sys::Status::napi_string_expected {
            return Ok(None);
        }
        self.js.check(status).map(|()| Some(copied))
    }

    fn key(&mut self, key: Key) -> Outcome<sys::napi_value> {
        if let Some(cached) = self.keys.get(key.index()).filter(|k| !k.is_null()) {
            return Ok(*cached);
        }
        let made = property_key(self.js, key.name())?;
        if self.scope_depth == 0 {
            if let Some(slot) = self.keys.get_mut(key.index()) {
                *slot = made.0;
            }
        }
        Ok(made.0)
    }
}

/// A property key for an ASCII name: interned where Node-API can make one, else a plain
/// string (which V8 interns on lookup).
fn property_key(js: Js, name: &str) -> Outcome<Value> {
    let Ok(length) = isize::try_from(name.len()) else {
        return Err(Failure::Type("property key too long".to_owned()));
    };
    let mut out = ptr::null_mut();
    let status = if INTERNED_KEYS.load(Ordering::Relaxed) {
        // SAFETY: valid env; `name` is readable for `length` bytes of ASCII.
        unsafe { sys::node_api_create_property_key_latin1(js.env, name.as_ptr().cast::<c_char>(), length, &mut out) }
    } else {
        // SAFETY: as above, with the Node-API 1 string constructor.
        unsafe { sys::napi_create_string_latin1(js.env, name.as_ptr().cast::<c_char>(), length, &mut out) }
    };
    js.check(status)?;
    Ok(Value(out))
}

/// Every [`Key`]'s name as a property key, in [`Key::ALL`] order: what the package's
/// JavaScript entry passes back after each call's arguments.
pub fn property_keys(js: Js) -> Outcome<Value> {
    let mut keys = Vec::with_capacity(Key::ALL.len());
    for key in Key::ALL {
        keys.push(property_key(js, key.name())?);
    }
    js.array(&keys)
}

impl Host for Reader {
    type Value = Value;

    fn get(&mut self, target: Value, key: Key, path: &dyn Fn() -> String) -> Outcome<Value> {
        let key = self.key(key)?;
        let mut out = ptr::null_mut();
        // SAFETY: valid env and handles; `out` is a live local.
        let status = unsafe { sys::napi_get_property(self.js.env, target.0, key, &mut out) };
        if status == sys::Status::napi_ok {
            return Ok(Value(out));
        }
        // Reading from null/undefined: replace the engine's message with one naming the path.
        let nullish = matches!(
            self.js.typeof_(target),
            Ok(sys::ValueType::napi_undefined | sys::ValueType::napi_null)
        );
        if nullish {
            self.js.clear_exception();
            return Err(Failure::Type(format!("{} must be an object", path())));
        }
        self.js.check(status).map(|()| Value(out))
    }

    fn element(&mut self, array: Value, index: u32) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env and handle; `out` is a live local.
        self.js
            .check(unsafe { sys::napi_get_element(self.js.env, array.0, index, &mut out) })?;
        Ok(Value(out))
    }

    fn kind(&mut self, value: Value) -> Outcome<Kind> {
        use sys::ValueType as T;
        Ok(match self.js.typeof_(value)? {
            T::napi_undefined => Kind::Undefined,
            T::napi_null => Kind::Null,
            T::napi_boolean => Kind::Boolean(self.boolean(value)?.unwrap_or(false)),
            T::napi_number => Kind::Number(self.number(value)?.unwrap_or(f64::NAN)),
            T::napi_string => Kind::String,
            T::napi_function => Kind::Function,
            T::napi_object | T::napi_external => {
                if self.js.is_array(value)? {
                    Kind::Array
                } else if let Some(time) = self.js.date_value(value)? {
                    Kind::Date(time)
                } else {
                    Kind::Object
                }
            }
            _ => Kind::Other,
        })
    }

    fn number(&mut self, value: Value) -> Outcome<Option<f64>> {
        let mut n = f64::NAN;
        // SAFETY: valid env and handle; the "number expected" status is the type check.
        let status = unsafe { sys::napi_get_value_double(self.js.env, value.0, &mut n) };
        if status == sys::Status::napi_number_expected {
            return Ok(None);
        }
        self.js.check(status).map(|()| Some(n))
    }

    fn boolean(&mut self, value: Value) -> Outcome<Option<bool>> {
        let mut b = false;
        // SAFETY: valid env and handle; the "boolean expected" status is the type check.
        let status = unsafe { sys::napi_get_value_bool(self.js.env, value.0, &mut b) };
        if status == sys::Status::napi_boolean_expected {
            return Ok(None);
        }
        self.js.check(status).map(|()| Some(b))
    }

    fn is_record(&mut self, value: Value) -> Outcome<bool> {
        Ok(self.js.typeof_(value)? == sys::ValueType::napi_object && !self.js.is_array(value)?)
    }

    fn is_nullish(&mut self, value: Value) -> Outcome<bool> {
        Ok(matches!(
            self.js.typeof_(value)?,
            sys::ValueType::napi_undefined | sys::ValueType::napi_null
        ))
    }

    fn string_is(&mut self, value: Value, ascii: &str) -> Outcome<bool> {
        // One copy into a buffer one unit longer than `ascii` (plus Node-API's NUL): a longer
        // string fills it, so "copied exactly len units" means "exactly this long".
        let mut buffer = [0u16; 18];
        let size = ascii.len() + 2;
        let Some(window) = buffer.get_mut(..size) else {
            return Ok(self.string_units(value)?.is_some_and(|u| units_eq_ascii(&u, ascii)));
        };
        Ok(self
            .copy_units(value, window)?
            .is_some_and(|copied| window.get(..copied).is_some_and(|u| units_eq_ascii(u, ascii))))
    }

    fn array_length(&mut self, value: Value) -> Outcome<Option<u32>> {
        let mut length = 0;
        // SAFETY: valid env and handle; the "array expected" status is the type check.
        let status = unsafe { sys::napi_get_array_length(self.js.env, value.0, &mut length) };
        if status == sys::Status::napi_array_expected {
            return Ok(None);
        }
        self.js.check(status).map(|()| Some(length))
    }

    fn string_units(&mut self, value: Value) -> Outcome<Option<Vec<u16>>> {
        // Short strings in one call through a stack buffer; longer ones measured, then copied.
        let mut buffer = [0u16; 128];
        let Some(copied) = self.copy_units(value, &mut buffer)? else {
            return Ok(None);
        };
        if copied + 1 < buffer.len() {
            return Ok(buffer.get(..copied).map(<[u16]>::to_vec));
        }
        let mut length = 0;
        // SAFETY: a null buffer asks only for the length.
        self.js.check(unsafe {
            sys::napi_get_value_string_utf16(self.js.env, value.0, ptr::null_mut(), 0, &mut length)
        })?;
        // Room for the terminating NUL that Node-API always writes.
        let mut units = vec![0u16; length + 1];
        let Some(copied) = self.copy_units(value, &mut units)? else {
            return Ok(None);
        };
        units.truncate(copied);
        Ok(Some(units))
    }

    fn string_prefix(&mut self, value: Value, max_units: usize) -> Outcome<Option<Vec<u16>>> {
        if max_units >= 128 * 1024 * 1024 {
            return self.string_units(value);
        }
        // Node-API copies at most `size - 1` units and a NUL: exactly the prefix, nothing more.
        let mut units = vec![0u16; max_units + 1];
        let Some(copied) = self.copy_units(value, &mut units)? else {
            return Ok(None);
        };
        units.truncate(copied);
        Ok(Some(units))
    }

    fn strictly_equal(&mut self, a: Value, b: Value) -> Outcome<bool> {
        let mut out = false;
        // SAFETY: valid env and handles; `out` is a live local.
        self.js
            .check(unsafe { sys::napi_strict_equals(self.js.env, a.0, b.0, &mut out) })?;
        Ok(out)
    }

    fn has_own_keys(&mut self, value: Value) -> Outcome<bool> {
        // The engine's own `Object.keys` is ~5x faster than napi_get_all_property_names (which
        // takes V8's slow key collection) on the service's 17-key usage records.
        if !self.object_keys.is_null() {
            let mut keys = ptr::null_mut();
            // SAFETY: valid env and handles; one argument in a live local. `Object.keys`
            // ignores its receiver, so the value itself serves as one.
            let status =
                unsafe { sys::napi_call_function(self.js.env, value.0, self.object_keys, 1, &value.0, &mut keys) };
            self.js.check(status)?;
            if let Some(length) = self.array_length(Value(keys))? {
                return Ok(length > 0);
            }
        }
        let mut keys = ptr::null_mut();
        // SAFETY: valid env and handle. Own, enumerable, string keys: `Object.keys`.
        let status = unsafe {
            sys::napi_get_all_property_names(
                self.js.env,
                value.0,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
                &mut keys,
            )
        };
        self.js.check(status)?;
        let mut length = 0;
        // SAFETY: valid env; `keys` is the array just returned.
        self.js
            .check(unsafe { sys::napi_get_array_length(self.js.env, keys, &mut length) })?;
        Ok(length > 0)
    }

    fn scoped<T: Copy>(&mut self, f: impl FnOnce(&mut Self) -> Outcome<T>) -> Outcome<T> {
        let mut scope = ptr::null_mut();
        // SAFETY: valid env; the scope is closed below, after `f`, before any other scope.
        self.js
            .check(unsafe { sys::napi_open_handle_scope(self.js.env, &mut scope) })?;
        self.scope_depth += 1;
        let result = f(self);
        self.scope_depth -= 1;
        // SAFETY: the scope opened above, innermost at this point.
        unsafe { sys::napi_close_handle_scope(self.js.env, scope) };
        result
    }

    fn parse_date_fallback(&mut self, units: &[u16]) -> Outcome<f64> {
        let js = self.js;
        let mut global = ptr::null_mut();
        // SAFETY: valid env; `global` is a live local.
        js.check(unsafe { sys::napi_get_global(js.env, &mut global) })?;
        let date = js.global_property(Value(global), c"Date")?;
        let parse = js.global_property(date, c"parse")?;
        let argument = js.string(units)?;
        let mut result = ptr::null_mut();
        // SAFETY: valid env and handles; one argument in a live local array.
        js.check(unsafe { sys::napi_call_function(js.env, date.0, parse.0, 1, &argument.0, &mut result) })?;
        Ok(self.number(Value(result))?.unwrap_or(f64::NAN))
    }
}

/// A function exported to JavaScript: reads `ARGC` arguments and answers one value.
pub trait NativeFunction {
    const NAME: &'static CStr;
    const ARGC: usize;
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value>;
}

/// The most arguments any export takes, before the property keys.
const MAX_ARGC: usize = 2;
/// What the package's JavaScript entry passes after them: the property keys, `Object.keys` and
/// the scratch array for answers.
const FORWARDED: usize = Key::ALL.len() + 2;
const MAX_ARGUMENTS: usize = MAX_ARGC + FORWARDED;

/// The Node-API callback of a [`NativeFunction`]: runs it with panics caught, so that no
/// input can abort the process, and raises its failure as a JavaScript exception.
unsafe extern "C" fn trampoline<F: NativeFunction>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: Node-API calls us with the running callback's env and info.
    let js = unsafe { Js::new(env) };
    let answer = std::panic::catch_unwind(|| {
        // SAFETY: `info` belongs to this callback.
        let (argv, argc) = unsafe { js.arguments::<MAX_ARGUMENTS>(info) }?;
        let (args, forwarded) = argv.split_at(MAX_ARGC);
        let mut reader = if argc >= MAX_ARGUMENTS {
            Reader::with_forwarded(js, forwarded)
        } else {
            Reader::new(js)
        };
        F::call(&mut reader, args.get(..F::ARGC).unwrap_or(args))
    });
    match answer {
        Ok(Ok(value)) => value.0,
        Ok(Err(failure)) => {
            js.raise(&failure);
            ptr::null_mut()
        }
        Err(_) => {
            js.throw_error("paperclip-session-compaction: internal error (a Rust panic was caught)");
            ptr::null_mut()
        }
    }
}

/// Registers `F` on `exports`.
pub fn export<F: NativeFunction>(js: Js, exports: Value) -> Outcome<()> {
    js.export_function(exports, F::NAME, Some(trampoline::<F>))
}

/// Registers, as a hidden property, a native function that does nothing at all: the
/// benchmark's floor, the cost of crossing the boundary alone.
pub fn export_empty_call(js: Js, exports: Value, name: &'static CStr) -> Outcome<()> {
    /// Returning no value (a null handle) answers `undefined`.
    unsafe extern "C" fn empty(_env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
        ptr::null_mut()
    }
    define_hidden(js, exports, name, Some(empty), ptr::null_mut())
}

/// Sets `exports[name] = value` as a non-enumerable, read-only property: internal, not API.
pub fn set_hidden(js: Js, exports: Value, name: &'static CStr, value: Value) -> Outcome<()> {
    define_hidden(js, exports, name, None, value.0)
}

fn define_hidden(
    js: Js,
    exports: Value,
    name: &'static CStr,
    method: sys::napi_callback,
    value: sys::napi_value,
) -> Outcome<()> {
    let descriptor = sys::napi_property_descriptor {
        utf8name: name.as_ptr(),
        name: ptr::null_mut(),
        method,
        getter: None,
        setter: None,
        value,
        attributes: sys::PropertyAttributes::default,
        data: ptr::null_mut(),
    };
    // SAFETY: valid env and handles; one descriptor whose name is a 'static NUL-terminated
    // string, with either a method or a value.
    js.check(unsafe { sys::napi_define_properties(js.env, exports.0, 1, &descriptor) })
}

/// Runs `register` with the module's env and `exports` object at load time.
pub fn with_module(
    env: &napi::Env,
    exports: &napi::bindgen_prelude::Object,
    register: impl FnOnce(Js, Value) -> Outcome<()>,
) -> napi::Result<()> {
    use napi::JsValue;
    // SAFETY: module initialisation runs inside Node-API's module-register callback.
    let js = unsafe { Js::new(env.raw()) };
    let exports = Value(exports.raw());
    detect_interned_keys(js);
    register(js, exports).map_err(|failure| match failure {
        Failure::Type(message) => napi::Error::from_reason(message),
        Failure::Thrown => napi::Error::from_reason("module initialisation failed"),
    })
}
