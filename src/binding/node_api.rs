//! The one module with `unsafe` code: thin wrappers over raw Node-API calls, and the
//! core's [`Host`] implemented over live JavaScript values.
//!
//! Every function here runs inside a Node-API callback on the JavaScript thread that
//! called us; `env` and every `napi_value` are valid until that callback returns, and none
//! is kept beyond it.

use std::ffi::{c_char, CStr};
use std::ptr;

use napi::sys;

use crate::core::host::{Failure, Host, Key, Kind, Outcome};

/// A Node-API environment for the duration of one callback.
#[derive(Clone, Copy)]
pub struct Js {
    env: sys::napi_env,
}

/// A JavaScript value handed to us by Node-API during the running callback. Only this
/// module can make one, so every `Value` is a live handle.
#[derive(Clone, Copy)]
pub struct Value(sys::napi_value);

/// The property names as NUL-terminated strings, in [`Key::ALL`] order.
fn key_cstr(key: Key) -> &'static CStr {
    static NAMES: std::sync::OnceLock<Vec<std::ffi::CString>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        Key::ALL
            .iter()
            .filter_map(|k| std::ffi::CString::new(k.name()).ok())
            .collect()
    });
    names.get(key.index()).map_or(c"", |c| c.as_c_str())
}

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

    /// The callback's first `N` arguments; missing ones are `undefined`.
    ///
    /// # Safety
    /// `info` must be the callback info of the callback that is running now.
    pub unsafe fn arguments<const N: usize>(self, info: sys::napi_callback_info) -> Outcome<[Value; N]> {
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
        Ok(argv.map(Value))
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

impl Host for Js {
    type Value = Value;

    fn get(&mut self, target: Value, key: Key, path: &dyn Fn() -> String) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env and handle; the key name is NUL-terminated and 'static.
        let status = unsafe { sys::napi_get_named_property(self.env, target.0, key_cstr(key).as_ptr(), &mut out) };
        if status == sys::Status::napi_ok {
            return Ok(Value(out));
        }
        // Reading from null/undefined: replace the engine's message with one naming the path.
        let nullish = matches!(
            self.typeof_(target),
            Ok(sys::ValueType::napi_undefined | sys::ValueType::napi_null)
        );
        if nullish {
            self.clear_exception();
            return Err(Failure::Type(format!("{} must be an object", path())));
        }
        self.check(status).map(|()| Value(out))
    }

    fn element(&mut self, array: Value, index: u32) -> Outcome<Value> {
        let mut out = ptr::null_mut();
        // SAFETY: valid env and handle; `out` is a live local.
        self.check(unsafe { sys::napi_get_element(self.env, array.0, index, &mut out) })?;
        Ok(Value(out))
    }

    fn kind(&mut self, value: Value) -> Outcome<Kind> {
        use sys::ValueType as T;
        Ok(match self.typeof_(value)? {
            T::napi_undefined => Kind::Undefined,
            T::napi_null => Kind::Null,
            T::napi_boolean => {
                let mut b = false;
                // SAFETY: valid env; the handle is a boolean.
                self.check(unsafe { sys::napi_get_value_bool(self.env, value.0, &mut b) })?;
                Kind::Boolean(b)
            }
            T::napi_number => {
                let mut n = f64::NAN;
                // SAFETY: valid env; the handle is a number.
                self.check(unsafe { sys::napi_get_value_double(self.env, value.0, &mut n) })?;
                Kind::Number(n)
            }
            T::napi_string => Kind::String,
            T::napi_function => Kind::Function,
            T::napi_object | T::napi_external => {
                if self.is_array(value)? {
                    Kind::Array
                } else if let Some(time) = self.date_value(value)? {
                    Kind::Date(time)
                } else {
                    Kind::Object
                }
            }
            _ => Kind::Other,
        })
    }

    fn array_length(&mut self, value: Value) -> Outcome<Option<u32>> {
        if !self.is_array(value)? {
            return Ok(None);
        }
        let mut length = 0;
        // SAFETY: valid env; the handle is an array.
        self.check(unsafe { sys::napi_get_array_length(self.env, value.0, &mut length) })?;
        Ok(Some(length))
    }

    fn string_units(&mut self, value: Value) -> Outcome<Option<Vec<u16>>> {
        let mut length = 0;
        // SAFETY: valid env and handle; a null buffer asks only for the length.
        let status = unsafe { sys::napi_get_value_string_utf16(self.env, value.0, ptr::null_mut(), 0, &mut length) };
        if status == sys::Status::napi_string_expected {
            return Ok(None);
        }
        self.check(status)?;
        // Room for the terminating NUL that Node-API always writes.
        let mut units = vec![0u16; length + 1];
        let mut copied = 0;
        // SAFETY: `units` has room for `length + 1` code units.
        self.check(unsafe {
            sys::napi_get_value_string_utf16(self.env, value.0, units.as_mut_ptr(), units.len(), &mut copied)
        })?;
        units.truncate(copied);
        Ok(Some(units))
    }

    fn strictly_equal(&mut self, a: Value, b: Value) -> Outcome<bool> {
        let mut out = false;
        // SAFETY: valid env and handles; `out` is a live local.
        self.check(unsafe { sys::napi_strict_equals(self.env, a.0, b.0, &mut out) })?;
        Ok(out)
    }

    fn has_own_keys(&mut self, value: Value) -> Outcome<bool> {
        let mut keys = ptr::null_mut();
        // SAFETY: valid env and handle. Own, enumerable, string keys: `Object.keys`.
        let status = unsafe {
            sys::napi_get_all_property_names(
                self.env,
                value.0,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
                &mut keys,
            )
        };
        self.check(status)?;
        let mut length = 0;
        // SAFETY: valid env; `keys` is the array just returned.
        self.check(unsafe { sys::napi_get_array_length(self.env, keys, &mut length) })?;
        Ok(length > 0)
    }

    fn parse_date_fallback(&mut self, units: &[u16]) -> Outcome<f64> {
        let mut global = ptr::null_mut();
        // SAFETY: valid env; `global` is a live local.
        self.check(unsafe { sys::napi_get_global(self.env, &mut global) })?;
        let date = self.global_property(Value(global), c"Date")?;
        let parse = self.global_property(date, c"parse")?;
        let argument = self.string(units)?;
        let mut result = ptr::null_mut();
        // SAFETY: valid env and handles; one argument in a live local array.
        self.check(unsafe { sys::napi_call_function(self.env, date.0, parse.0, 1, &argument.0, &mut result) })?;
        match self.kind(Value(result))? {
            Kind::Number(t) => Ok(t),
            _ => Ok(f64::NAN),
        }
    }
}

/// A function exported to JavaScript: reads `ARGC` arguments and answers one value.
pub trait NativeFunction {
    const NAME: &'static CStr;
    const ARGC: usize;
    fn call(js: Js, args: &[Value]) -> Outcome<Value>;
}

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
        let args: [Value; 2] = unsafe { js.arguments::<2>(info) }?;
        F::call(js, args.get(..F::ARGC).unwrap_or(&args))
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

/// Registers `F` on `exports` as a non-enumerable, read-only property: internal, not API.
pub fn export_hidden<F: NativeFunction>(js: Js, exports: Value) -> Outcome<()> {
    let descriptor = sys::napi_property_descriptor {
        utf8name: F::NAME.as_ptr(),
        name: ptr::null_mut(),
        method: Some(trampoline::<F>),
        getter: None,
        setter: None,
        value: ptr::null_mut(),
        attributes: sys::PropertyAttributes::default,
        data: ptr::null_mut(),
    };
    // SAFETY: valid env and handle; one descriptor whose name is a 'static NUL-terminated string.
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
    register(js, exports).map_err(|failure| match failure {
        Failure::Type(message) => napi::Error::from_reason(message),
        Failure::Thrown => napi::Error::from_reason("module initialisation failed"),
    })
}
