// The Router type: CPython-level get_node/range/hash/lookup_many over a Placement (see router.hpp).
#include "router.hpp"

#include <bit>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string_view>

#include <pybind11/numpy.h>

namespace py = pybind11;

namespace ringleader::python {
namespace {

struct RouterObject {
  PyObject_HEAD
  std::shared_ptr<const Placement> placement;
  PyObject* names;  // tuple of str: names[bucket]
};

PyTypeObject* router_type = nullptr;

constexpr const char* kNoHashes =
    "this placement takes keys, not 64-bit hashes (uhashring's default ring hashes with 128 bits; a "
    "twemproxy pool hashes as its config says)";

RouterObject* as_router(PyObject* self) { return reinterpret_cast<RouterObject*>(self); }

// The bytes of a key; false with TypeError set for anything but str and bytes. uhashring would
// str() any object, which silently turns b"k" into "b'k'": ringleader asks for an explicit key.
bool key_bytes(PyObject* key, std::string_view& out) {
  if (PyUnicode_Check(key)) {
    // Most keys are ASCII, whose stored characters are already their UTF-8: no call, no check.
    if (PyUnicode_IS_COMPACT_ASCII(key)) {
      out = {static_cast<const char*>(PyUnicode_DATA(key)), static_cast<std::size_t>(PyUnicode_GET_LENGTH(key))};
      return true;
    }
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(key, &size);
    if (data == nullptr) return false;
    out = {data, static_cast<std::size_t>(size)};
    return true;
  }
  if (PyBytes_Check(key)) {
    out = {PyBytes_AS_STRING(key), static_cast<std::size_t>(PyBytes_GET_SIZE(key))};
    return true;
  }
  PyErr_Format(PyExc_TypeError, "a key must be str or bytes, not %.200s", Py_TYPE(key)->tp_name);
  return false;
}

// Sets the Python error for a C++ exception thrown by a placement.
void set_error(const std::exception& e) {
  if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } else if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
    PyErr_NoMemory();
  } else {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

// What a buffer's items are, from its struct format ("<Q", "L", "10s", "10w", "O", ...).
enum class ItemKind {
  hash,         // uint64 in native byte order: keys already hashed
  fixed_bytes,  // numpy 'S': bytes keys padded with NULs
  objects,      // numpy 'U' or object: read item by item as str/bytes
  unsupported,
};

ItemKind item_kind(const Py_buffer& view) {
  std::string_view format = view.format != nullptr ? view.format : "B";
  // Hashes are read with memcpy, so only arrays in this machine's byte order qualify.
  bool native_order = true;
  if (!format.empty() && std::strchr("@=<>!|", format.front()) != nullptr) {
    if (format.front() == '<') native_order = std::endian::native == std::endian::little;
    if (format.front() == '>' || format.front() == '!') native_order = std::endian::native == std::endian::big;
    format.remove_prefix(1);
  }
  if (format.empty()) return ItemKind::unsupported;
  if (view.itemsize == 8 && (format == "Q" || format == "L"))
    return native_order ? ItemKind::hash : ItemKind::unsupported;
  if (format.back() == 's') return ItemKind::fixed_bytes;
  if (format.back() == 'w' || format == "O") return ItemKind::objects;
  return ItemKind::unsupported;
}

// Buckets of a buffer of hashes or fixed-width byte strings, GIL released. False with an error set.
bool locate_buffer(const Placement& placement, const Py_buffer& view, ItemKind kind, std::vector<BucketId>& out) {
  if (view.ndim != 1) {
    PyErr_Format(PyExc_ValueError, "a batch of keys must be one-dimensional, got %d dimensions", view.ndim);
    return false;
  }
  if (kind == ItemKind::hash && !placement.takes_hashes()) {
    PyErr_SetString(PyExc_ValueError, kNoHashes);
    return false;
  }
  const std::size_t count = static_cast<std::size_t>(view.shape[0]);
  const std::size_t width = static_cast<std::size_t>(view.itemsize);
  // Slices like a[::2] or a[::-1] are read in place: step by the stride, which may be negative.
  const Py_ssize_t stride = view.strides != nullptr ? view.strides[0] : view.itemsize;
  const char* data = static_cast<const char*>(view.buf);
  out.resize(count);
  Py_BEGIN_ALLOW_THREADS
  if (kind == ItemKind::hash) {
    for (std::size_t i = 0; i < count; ++i) {
      std::uint64_t h;
      std::memcpy(&h, data + static_cast<Py_ssize_t>(i) * stride, sizeof h);
      out[i] = placement.locate_hash(h);
    }
  } else {
    std::vector<std::string_view> keys(count);
    for (std::size_t i = 0; i < count; ++i) {
      std::string_view key(data + static_cast<Py_ssize_t>(i) * stride, width);
      while (!key.empty() && key.back() == '\0') key.remove_suffix(1);
      keys[i] = key;
    }
    placement.locate_many(keys, out);
  }
  Py_END_ALLOW_THREADS
  return true;
}

// Buckets of any iterable of str/bytes keys. The tuple copy keeps every key alive while the GIL is
// released, even if another thread empties the caller's list meanwhile.
bool locate_items(const Placement& placement, PyObject* keys, std::vector<BucketId>& out) {
  PyObject* items = PySequence_Tuple(keys);
  if (items == nullptr) return false;
  const std::size_t count = static_cast<std::size_t>(PyTuple_GET_SIZE(items));
  std::vector<std::string_view> views(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (!key_bytes(PyTuple_GET_ITEM(items, i), views[i])) {
      Py_DECREF(items);
      return false;
    }
  }
  out.resize(count);
  Py_BEGIN_ALLOW_THREADS
  placement.locate_many(views, out);
  Py_END_ALLOW_THREADS
  Py_DECREF(items);
  return true;
}

bool locate_batch(const Placement& placement, PyObject* keys, std::vector<BucketId>& out) {
  if (PyUnicode_Check(keys) || PyBytes_Check(keys) || PyByteArray_Check(keys)) {
    PyErr_SetString(PyExc_TypeError, "lookup_many takes a batch of keys (a list, tuple or array), not one key");
    return false;
  }
  if (!PyList_Check(keys) && !PyTuple_Check(keys) && PyObject_CheckBuffer(keys)) {
    Py_buffer view;
    if (PyObject_GetBuffer(keys, &view, PyBUF_RECORDS_RO) != 0) return false;
    const ItemKind kind = item_kind(view);
    if (kind == ItemKind::objects) {
      PyBuffer_Release(&view);
      return locate_items(placement, keys, out);
    }
    bool ok = false;
    if (kind == ItemKind::unsupported) {
      PyErr_Format(PyExc_TypeError,
                   "an array of keys holds uint64 hashes (native byte order), bytes (dtype 'S') or str (dtype "
                   "'U' or object), not items of buffer format '%s'",
                   view.format != nullptr ? view.format : "B");
    } else {
      ok = locate_buffer(placement, view, kind, out);
    }
    PyBuffer_Release(&view);
    return ok;
  }
  return locate_items(placement, keys, out);
}

PyObject* get_node(PyObject* self, PyObject* key) {
  RouterObject* router = as_router(self);
  std::string_view bytes;
  if (!key_bytes(key, bytes)) return nullptr;
  PyObject* name = PyTuple_GET_ITEM(router->names, router->placement->locate(bytes));
  Py_INCREF(name);
  return name;
}

PyObject* range(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_Format(PyExc_TypeError, "range(key, size) takes 2 arguments, got %zd", nargs);
    return nullptr;
  }
  RouterObject* router = as_router(self);
  std::string_view bytes;
  if (!key_bytes(args[0], bytes)) return nullptr;
  const Py_ssize_t size = PyLong_AsSsize_t(args[1]);
  if (size == -1 && PyErr_Occurred()) return nullptr;
  if (size < 0) {
    PyErr_Format(PyExc_ValueError, "size must not be negative, got %zd", size);
    return nullptr;
  }
  if (static_cast<std::size_t>(size) > router->placement->size()) {
    PyErr_Format(PyExc_ValueError, "asked for %zd distinct nodes, there are %zu", size, router->placement->size());
    return nullptr;
  }
  std::vector<BucketId> buckets;
  try {
    buckets.resize(static_cast<std::size_t>(size));
    router->placement->locate_n(bytes, buckets);
  } catch (const std::exception& e) {
    set_error(e);
    return nullptr;
  }
  PyObject* list = PyList_New(size);
  if (list == nullptr) return nullptr;
  for (Py_ssize_t i = 0; i < size; ++i) {
    PyObject* name = PyTuple_GET_ITEM(router->names, buckets[i]);
    Py_INCREF(name);
    PyList_SET_ITEM(list, i, name);
  }
  return list;
}

PyObject* hash(PyObject* self, PyObject* key) {
  const Placement& placement = *as_router(self)->placement;
  if (!placement.takes_hashes()) {
    PyErr_SetString(PyExc_ValueError, kNoHashes);
    return nullptr;
  }
  std::string_view bytes;
  if (!key_bytes(key, bytes)) return nullptr;
  return PyLong_FromUnsignedLongLong(placement.hash(bytes));
}

PyObject* lookup_many(PyObject* self, PyObject* keys) {
  RouterObject* router = as_router(self);
  std::vector<BucketId> buckets;
  try {
    if (!locate_batch(*router->placement, keys, buckets)) return nullptr;
  } catch (const std::exception& e) {
    set_error(e);
    return nullptr;
  }
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(buckets.size()));
  if (list == nullptr) return nullptr;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    PyObject* name = PyTuple_GET_ITEM(router->names, buckets[i]);
    Py_INCREF(name);
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), name);
  }
  return list;
}

PyObject* lookup_many_indices(PyObject* self, PyObject* keys) {
  try {
    std::vector<BucketId> buckets;
    if (!locate_batch(*as_router(self)->placement, keys, buckets)) return nullptr;
    py::array_t<std::uint32_t> result(static_cast<py::ssize_t>(buckets.size()));
    std::memcpy(result.mutable_data(), buckets.data(), buckets.size() * sizeof(BucketId));
    return result.release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const std::exception& e) {
    set_error(e);
  }
  return nullptr;
}

PyObject* nodes(PyObject* self, void*) {
  PyObject* names = as_router(self)->names;
  Py_INCREF(names);
  return names;
}

void dealloc(PyObject* self) {
  RouterObject* router = as_router(self);
  PyTypeObject* type = Py_TYPE(self);
  router->placement.~shared_ptr();
  Py_XDECREF(router->names);
  type->tp_free(self);
  Py_DECREF(type);
}

PyMethodDef methods[] = {
    {"get_node", get_node, METH_O, "get_node(key) -> str: the node the key (str or bytes) lands on."},
    {"range", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(range)), METH_FASTCALL,
     "range(key, size) -> list[str]: size distinct nodes for the key, get_node(key) first."},
    {"hash", hash, METH_O, "hash(key) -> int: the 64-bit hash lookup_many accepts in a uint64 array."},
    {"lookup_many", lookup_many, METH_O,
     "lookup_many(keys) -> list[str]: get_node of every key, with the GIL released."},
    {"lookup_many_indices", lookup_many_indices, METH_O,
     "lookup_many_indices(keys) -> numpy.ndarray[uint32]: positions in nodes, with the GIL released."},
    {nullptr, nullptr, 0, nullptr}};

PyGetSetDef getset[] = {{"nodes", nodes, nullptr, "tuple[str, ...]: node names by position.", nullptr},
                        {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyType_Slot slots[] = {{Py_tp_dealloc, reinterpret_cast<void*>(dealloc)},
                       {Py_tp_methods, methods},
                       {Py_tp_getset, getset},
                       {Py_tp_doc, const_cast<char*>("Looks keys up in one immutable placement.")},
                       {0, nullptr}};

PyType_Spec spec = {"ringleader._native.Router", sizeof(RouterObject), 0,
                    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, slots};

}  // namespace

void add_router_type(py::module_& module) {
  PyObject* type = PyType_FromSpec(&spec);
  if (type == nullptr) throw py::error_already_set();
  router_type = reinterpret_cast<PyTypeObject*>(type);
  module.add_object("Router", py::reinterpret_borrow<py::object>(type));
}

py::object make_router(std::shared_ptr<const Placement> placement) {
  py::tuple names(placement->size());
  for (BucketId b = 0; b < placement->size(); ++b) names[b] = py::str(placement->name(b));
  PyObject* self = router_type->tp_alloc(router_type, 0);
  if (self == nullptr) throw py::error_already_set();
  RouterObject* router = as_router(self);
  new (&router->placement) std::shared_ptr<const Placement>(std::move(placement));
  router->names = names.release().ptr();
  return py::reinterpret_steal<py::object>(self);
}

std::string_view key_bytes(py::handle key) {
  std::string_view bytes;
  if (!key_bytes(key.ptr(), bytes)) throw py::error_already_set();
  return bytes;
}

const std::shared_ptr<const Placement>& placement_of(py::handle obj) {
  if (!PyObject_TypeCheck(obj.ptr(), router_type)) throw py::type_error("expected a ringleader._native.Router");
  return as_router(obj.ptr())->placement;
}

}  // namespace ringleader::python
