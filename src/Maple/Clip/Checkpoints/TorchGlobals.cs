using System.Text;
using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// The allow-list of globals a torch checkpoint may name, and what calling each of them means.
/// Python's unpickler imports and calls whatever a pickle names, which is how a checkpoint runs code;
/// here every accepted global has one fixed meaning implemented below, and any other name is refused
/// as soon as the pickle mentions it.
/// </summary>
static class TorchGlobals
{
    const string Allowed = "only tensors and plain containers are allowed";

    static readonly Dictionary<string, PickleGlobalKind> Fixed = new(StringComparer.Ordinal)
    {
        ["collections.OrderedDict"] = PickleGlobalKind.OrderedDict,
        ["collections.defaultdict"] = PickleGlobalKind.DefaultDict,
        ["collections.Counter"] = PickleGlobalKind.Counter,
        ["builtins.dict"] = PickleGlobalKind.Dict,
        ["builtins.list"] = PickleGlobalKind.List,
        ["builtins.tuple"] = PickleGlobalKind.Tuple,
        ["builtins.set"] = PickleGlobalKind.Set,
        ["builtins.frozenset"] = PickleGlobalKind.FrozenSet,
        ["builtins.bytearray"] = PickleGlobalKind.ByteArray,
        ["builtins.bytes"] = PickleGlobalKind.Bytes,
        ["builtins.object"] = PickleGlobalKind.Object,
        ["builtins.int"] = PickleGlobalKind.PrimitiveType,
        ["builtins.float"] = PickleGlobalKind.PrimitiveType,
        ["builtins.str"] = PickleGlobalKind.PrimitiveType,
        ["builtins.bool"] = PickleGlobalKind.PrimitiveType,
        ["_codecs.encode"] = PickleGlobalKind.CodecsEncode,
        ["copyreg._reconstructor"] = PickleGlobalKind.Reconstructor,
        ["torch._utils._rebuild_tensor"] = PickleGlobalKind.RebuildTensor,
        ["torch._utils._rebuild_tensor_v2"] = PickleGlobalKind.RebuildTensorV2,
        ["torch._utils._rebuild_tensor_v3"] = PickleGlobalKind.RebuildTensorV3,
        ["torch._utils._rebuild_parameter"] = PickleGlobalKind.RebuildParameter,
        ["torch._utils._rebuild_parameter_with_state"] = PickleGlobalKind.RebuildParameterWithState,
        ["torch._tensor._rebuild_from_type_v2"] = PickleGlobalKind.RebuildFromTypeV2,
        ["torch.Tensor"] = PickleGlobalKind.TensorClass,
        ["torch._tensor.Tensor"] = PickleGlobalKind.TensorClass,
        ["torch.nn.parameter.Parameter"] = PickleGlobalKind.TensorClass,
        ["torch.Size"] = PickleGlobalKind.Size,
        ["torch.device"] = PickleGlobalKind.Device,
        ["numpy.dtype"] = PickleGlobalKind.NumpyDtype,
        ["numpy.core.multiarray.scalar"] = PickleGlobalKind.NumpyScalar,
        ["numpy._core.multiarray.scalar"] = PickleGlobalKind.NumpyScalar,
    };

    // Dassl-style trainers save a warm-up scheduler whose state holds its successor scheduler object,
    // which holds the optimizer object. These classes are recorded as inert PickledObjects, never created.
    static readonly HashSet<string> InertClasses = new(StringComparer.Ordinal)
    {
        "torch.optim.sgd.SGD", "torch.optim.adam.Adam", "torch.optim.adamw.AdamW", "torch.optim.rmsprop.RMSprop",
        "torch.optim.adagrad.Adagrad", "torch.optim.adadelta.Adadelta", "torch.optim.adamax.Adamax",
        "torch.optim.nadam.NAdam", "torch.optim.radam.RAdam", "torch.optim.asgd.ASGD", "torch.optim.rprop.Rprop",
        "torch.optim.lr_scheduler.StepLR", "torch.optim.lr_scheduler.MultiStepLR", "torch.optim.lr_scheduler.ConstantLR",
        "torch.optim.lr_scheduler.LinearLR", "torch.optim.lr_scheduler.ExponentialLR", "torch.optim.lr_scheduler.PolynomialLR",
        "torch.optim.lr_scheduler.CosineAnnealingLR", "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
        "torch.optim.lr_scheduler.CyclicLR", "torch.optim.lr_scheduler.OneCycleLR", "torch.optim.lr_scheduler.ReduceLROnPlateau",
        "torch.optim.lr_scheduler.SequentialLR", "torch.optim.lr_scheduler.ChainedScheduler",
    };

    // Protocol 0-2 pickles written by Python 3 use the Python 2 module names (pickle's fix_imports).
    static readonly Dictionary<string, string> Python2Modules = new(StringComparer.Ordinal)
    {
        ["__builtin__"] = "builtins",
        ["copy_reg"] = "copyreg",
    };

    // What TorchScript's own pickler writes besides tensors and containers: typed lists are rebuilt by these
    // helpers from a plain list, and a container's static type is attached by restore_type_tag.
    static readonly Dictionary<string, PickleGlobalKind> TorchScriptHelpers = new(StringComparer.Ordinal)
    {
        ["torch.jit._pickle.build_intlist"] = PickleGlobalKind.TorchScriptList,
        ["torch.jit._pickle.build_doublelist"] = PickleGlobalKind.TorchScriptList,
        ["torch.jit._pickle.build_boollist"] = PickleGlobalKind.TorchScriptList,
        ["torch.jit._pickle.build_tensorlist"] = PickleGlobalKind.TorchScriptList,
        ["torch.jit._pickle.restore_type_tag"] = PickleGlobalKind.TorchScriptTypeTag,
    };

    /// <summary>
    /// Accepts an allow-listed global or refuses the pickle, naming the global. In a TorchScript archive's pickle
    /// (<paramref name="torchScript"/>), the archive's own <c>__torch__.*</c> classes are accepted as names of inert
    /// records: their code is never compiled or run.
    /// </summary>
    public static PickleGlobal Resolve(string module, string name, string source, bool torchScript = false)
    {
        module = Python2Modules.GetValueOrDefault(module, module);
        var fullName = $"{module}.{name}";
        if (Fixed.TryGetValue(fullName, out var kind))
            return new PickleGlobal(module, name, kind);
        if (torchScript && TorchScriptHelpers.TryGetValue(fullName, out var helper))
            return new PickleGlobal(module, name, helper);
        if (torchScript && (module == "__torch__" || module.StartsWith("__torch__.", StringComparison.Ordinal)))
            return new PickleGlobal(module, name, PickleGlobalKind.TorchScriptClass);
        if (module == "torch" && TorchDtypes.TryGetStorageClass(name, out var storageDtype))
            return new PickleGlobal(module, name, PickleGlobalKind.StorageClass, storageDtype);
        if (module == "torch" && TorchDtypes.TryGetDtype(name, out var dtype))
            return new PickleGlobal(module, name, PickleGlobalKind.Dtype, dtype);
        if (InertClasses.Contains(fullName))
            return new PickleGlobal(module, name, PickleGlobalKind.InertClass);
        throw new UnsafePickleException($"refused to load global {fullName} from {source}: {Allowed}", source, fullName);
    }

    /// <summary>What the pickle's REDUCE opcode (calling <paramref name="callable"/> with <paramref name="args"/>) means for an allowed global.</summary>
    public static object? Call(PickleGlobal callable, object?[] args, string source) => callable.Kind switch
    {
        PickleGlobalKind.OrderedDict or PickleGlobalKind.Dict or PickleGlobalKind.Counter => NewDict(callable, args, 0),
        PickleGlobalKind.DefaultDict => NewDefaultDict(callable, args, source),
        PickleGlobalKind.List => new List<object?>(Iterable(callable, args)),
        PickleGlobalKind.Tuple => Iterable(callable, args).ToArray(),
        PickleGlobalKind.Set or PickleGlobalKind.FrozenSet => NewSet(callable, args),
        PickleGlobalKind.ByteArray or PickleGlobalKind.Bytes => NewBytes(callable, args),
        PickleGlobalKind.CodecsEncode => NewBytes(callable, args),
        PickleGlobalKind.Size => Iterable(callable, args).Select(d => (object?)AsLong(callable, d)).ToArray(),
        PickleGlobalKind.Device => NewDevice(callable, args),
        PickleGlobalKind.Reconstructor => Reconstruct(callable, args, source),
        PickleGlobalKind.RebuildTensor => RebuildTensor(callable, args, 4, dtypeIndex: -1),
        PickleGlobalKind.RebuildTensorV2 => RebuildTensor(callable, args, 6, dtypeIndex: -1),
        PickleGlobalKind.RebuildTensorV3 => RebuildTensor(callable, args, 7, dtypeIndex: 6),
        PickleGlobalKind.RebuildParameter => RebuildParameter(callable, args, 3),
        PickleGlobalKind.RebuildParameterWithState => RebuildParameter(callable, args, 4),
        PickleGlobalKind.RebuildFromTypeV2 => RebuildFromType(callable, args, source),
        PickleGlobalKind.NumpyDtype => NumpyScalars.NewDtype(callable, args),
        PickleGlobalKind.NumpyScalar => NumpyScalars.Decode(callable, args),
        PickleGlobalKind.TorchScriptList => args is [List<object?> list] ? list : throw Malformed(callable, "expected one list"),
        PickleGlobalKind.TorchScriptTypeTag => args is [var value, string] ? value : throw Malformed(callable, "expected a value and a type name"),
        _ => throw Refused(callable, "calling it is not supported", source),
    };

    /// <summary>What the pickle's NEWOBJ opcode (<c>cls.__new__(cls, *args)</c>) means for an allowed class.</summary>
    public static object? New(PickleGlobal cls, object?[] args, string source) => cls.Kind switch
    {
        PickleGlobalKind.InertClass or PickleGlobalKind.TorchScriptClass => new PickledObject(cls.FullName, args),
        PickleGlobalKind.OrderedDict or PickleGlobalKind.Dict or PickleGlobalKind.Counter or PickleGlobalKind.DefaultDict => NewDict(cls, [], 0),
        PickleGlobalKind.List => new List<object?>(),
        PickleGlobalKind.Set => NewSet(cls, []),
        PickleGlobalKind.Tuple or PickleGlobalKind.FrozenSet or PickleGlobalKind.Size => Call(cls, args, source),
        _ => throw Refused(cls, "creating an instance of it is not supported", source),
    };

    public static OrderedDictionary<object, object?> NewDict() => new(PythonKeyComparer.Instance);

    static UnsafePickleException Refused(PickleGlobal global, string why, string source) =>
        new($"refused to call global {global.FullName} from {source}: {why}; {Allowed}", source, global.FullName);

    static InvalidDataException Malformed(PickleGlobal global, string what) =>
        new($"malformed arguments to {global.FullName}: {what}");

    static OrderedDictionary<object, object?> NewDict(PickleGlobal global, object?[] args, int first)
    {
        var dict = NewDict();
        if (args.Length > first + 1)
            throw Malformed(global, $"expected at most {first + 1} arguments, got {args.Length}");
        if (args.Length == first + 1)
        {
            switch (args[first])
            {
                case OrderedDictionary<object, object?> mapping:
                    foreach (var (key, value) in mapping)
                        dict[key] = value;
                    break;
                case null:
                    break;
                default:
                    foreach (var pair in Iterable(global, [args[first]]))
                    {
                        if (pair is not object?[] { Length: 2 } and not List<object?> { Count: 2 })
                            throw Malformed(global, "expected key-value pairs");
                        var items = pair is object?[] tuple ? tuple : ((List<object?>)pair).ToArray();
                        dict[Key(items[0])] = items[1];
                    }
                    break;
            }
        }
        return dict;
    }

    static OrderedDictionary<object, object?> NewDefaultDict(PickleGlobal global, object?[] args, string source)
    {
        // The default factory is dropped: a loaded defaultdict is only data. It must still be a harmless type.
        if (args.Length > 0 && args[0] is not null && args[0] is not PickleGlobal
            {
                Kind: PickleGlobalKind.Dict or PickleGlobalKind.List or PickleGlobalKind.Set or PickleGlobalKind.PrimitiveType
                    or PickleGlobalKind.OrderedDict or PickleGlobalKind.Tuple or PickleGlobalKind.FrozenSet,
            })
        {
            if (args[0] is PickleGlobal other)
                throw Refused(other, "it is not a plain container type to serve as a defaultdict factory", source);
            throw Malformed(global, "the default factory is not a type");
        }
        return NewDict(global, args, 1);
    }

    static HashSet<object> NewSet(PickleGlobal global, object?[] args) =>
        new(Iterable(global, args).Select(Key), PythonKeyComparer.Instance);

    static byte[] NewBytes(PickleGlobal global, object?[] args) => args switch
    {
        [] => [],
        [byte[] bytes] => (byte[])bytes.Clone(),
        [List<object?> list] => list.Select(b => checked((byte)AsLong(global, b))).ToArray(),
        [string text] => Encoding.Latin1.GetBytes(text),
        [string text, string encoding] => Encode(global, text, encoding),
        [string text, string encoding, string] => Encode(global, text, encoding),
        _ => throw Malformed(global, "expected bytes or a string and its encoding"),
    };

    static byte[] Encode(PickleGlobal global, string text, string encoding) =>
        encoding.Replace('_', '-').ToLowerInvariant() switch
        {
            "latin1" or "latin-1" or "iso-8859-1" => Encoding.Latin1.GetBytes(text),
            "utf8" or "utf-8" => Encoding.UTF8.GetBytes(text),
            "ascii" => Encoding.ASCII.GetBytes(text),
            _ => throw Malformed(global, $"unsupported encoding '{encoding}'"),
        };

    static string NewDevice(PickleGlobal global, object?[] args) => args switch
    {
        [string type] => type,
        [string type, null] => type,
        [string type, long index] => $"{type}:{index}",
        _ => throw Malformed(global, "expected a device type and index"),
    };

    // Protocol 0 and 1 pickle plain objects as copyreg._reconstructor(cls, object, None) followed by BUILD.
    static PickledObject Reconstruct(PickleGlobal global, object?[] args, string source)
    {
        if (args is not [PickleGlobal cls, PickleGlobal { Kind: PickleGlobalKind.Object }, null])
            throw Malformed(global, "expected (class, object, None)");
        if (cls.Kind != PickleGlobalKind.InertClass)
            throw Refused(cls, "creating an instance of it is not supported", source);
        return new PickledObject(cls.FullName, []);
    }

    // _rebuild_tensor(storage, offset, size, stride), _rebuild_tensor_v2(..., requires_grad, backward_hooks[, metadata])
    // and _rebuild_tensor_v3(..., requires_grad, backward_hooks, dtype[, metadata]). Autograd flags, hooks and
    // metadata do not change the values, so only the view is kept.
    static PendingTensor RebuildTensor(PickleGlobal global, object?[] args, int minArgs, int dtypeIndex)
    {
        if (args.Length < minArgs || args.Length > minArgs + 1)
            throw Malformed(global, $"expected {minArgs} or {minArgs + 1} arguments, got {args.Length}");
        if (args[0] is not TorchStorageRef storage)
            throw Malformed(global, "the first argument is not a storage");
        var offset = AsLong(global, args[1]);
        var size = Iterable(global, [args[2]]).Select(d => AsLong(global, d)).ToArray();
        var stride = Iterable(global, [args[3]]).Select(d => AsLong(global, d)).ToArray();
        var dtype = storage.Dtype;
        if (dtypeIndex >= 0)
        {
            if (args[dtypeIndex] is not PickleGlobal { Kind: PickleGlobalKind.Dtype } dtypeGlobal)
                throw Malformed(global, "the dtype argument is not a torch dtype");
            dtype = dtypeGlobal.Dtype;
        }
        return new PendingTensor(storage, offset, size, stride, dtype);
    }

    static PendingTensor RebuildParameter(PickleGlobal global, object?[] args, int count)
    {
        if (args.Length != count || args[0] is not PendingTensor data)
            throw Malformed(global, $"expected a tensor and {count - 1} more arguments");
        return data;
    }

    // PyTorch 2 pickles tensors that carry Python attributes as _rebuild_from_type_v2(func, type, args, state);
    // only plain tensors and parameters are accepted as the type, and the attributes are dropped.
    static PendingTensor RebuildFromType(PickleGlobal global, object?[] args, string source)
    {
        if (args is not [PickleGlobal func, PickleGlobal type, object?[] funcArgs, _])
            throw Malformed(global, "expected (function, type, arguments, state)");
        if (type.Kind != PickleGlobalKind.TensorClass)
            throw Refused(type, "only torch.Tensor and torch.nn.Parameter tensors can be rebuilt", source);
        if (func.Kind is not (PickleGlobalKind.RebuildTensor or PickleGlobalKind.RebuildTensorV2 or PickleGlobalKind.RebuildTensorV3
            or PickleGlobalKind.RebuildParameter or PickleGlobalKind.RebuildParameterWithState))
            throw Refused(func, "it does not rebuild a tensor", source);
        return (PendingTensor)Call(func, funcArgs, source)!;
    }

    static IEnumerable<object?> Iterable(PickleGlobal global, object?[] args) => args switch
    {
        [] => [],
        [object?[] tuple] => tuple,
        [List<object?> list] => list,
        [HashSet<object> set] => set,
        [OrderedDictionary<object, object?> dict] => dict.Keys,
        [string text] => text.EnumerateRunes().Select(r => (object?)r.ToString()),
        [byte[] bytes] => bytes.Select(b => (object?)(long)b),
        _ => throw Malformed(global, "expected one iterable argument"),
    };

    static long AsLong(PickleGlobal global, object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw Malformed(global, $"expected an integer, got {Describe(value)}"),
    };

    /// <summary>A Python value as a dict key or set member: None cannot be one in .NET collections.</summary>
    public static object Key(object? value) =>
        value ?? throw new InvalidDataException("None as a dict key or set member is not supported");

    /// <summary>A value as a Python user would name it, for messages.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        PickleGlobal g => g.FullName,
        PickledObject o => $"a {o.TypeName} object",
        List<object?> => "a list",
        object?[] => "a tuple",
        OrderedDictionary<object, object?> => "a dict",
        HashSet<object> => "a set",
        string => "a string",
        byte[] => "bytes",
        bool => "a bool",
        long or System.Numerics.BigInteger => "an int",
        double => "a float",
        PendingTensor or Tensor => "a tensor",
        TorchStorageRef => "a storage",
        _ => value.GetType().Name,
    };
}
