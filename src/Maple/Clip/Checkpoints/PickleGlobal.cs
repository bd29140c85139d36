using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>What an allow-listed global stands for; the unpickler gives each its own fixed, code-free meaning.</summary>
enum PickleGlobalKind
{
    OrderedDict,
    DefaultDict,
    Counter,
    Dict,
    List,
    Tuple,
    Set,
    FrozenSet,
    ByteArray,
    Bytes,
    Object,
    PrimitiveType,
    CodecsEncode,
    Reconstructor,
    RebuildTensor,
    RebuildTensorV2,
    RebuildTensorV3,
    RebuildParameter,
    RebuildParameterWithState,
    RebuildFromTypeV2,
    TensorClass,
    StorageClass,
    Dtype,
    Size,
    Device,
    InertClass,
    NumpyDtype,
    NumpyScalar,
    TorchScriptClass,
    TorchScriptList,
    TorchScriptTypeTag,
}

/// <summary>A global (class or function) the pickle referred to and the allow-list accepted. It is only a name: nothing is imported or run.</summary>
sealed record PickleGlobal(string Module, string Name, PickleGlobalKind Kind, ScalarType Dtype = ScalarType.Byte)
{
    public string FullName => $"{Module}.{Name}";

    public override string ToString() => FullName;
}
