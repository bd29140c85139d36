using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// Reads the parameters and buffers of a TorchScript archive (written by <c>torch.jit.save</c>, as OpenAI's
/// original CLIP <c>.pt</c> files are) as data. libtorch's own loader compiles the archive's code and runs
/// its classes' <c>__setstate__</c> methods while loading, so an archive from a stranger can run anything;
/// this reader runs nothing. <c>&lt;archive&gt;/data.pkl</c> goes through the same allow-listed unpickler as
/// torch.save files, with the archive's <c>__torch__.*</c> classes kept as inert records of their attributes
/// and tensors read from the <c>&lt;archive&gt;/data/N</c> records. The code records are only scanned for the
/// class bodies' <c>__parameters__</c> and <c>__buffers__</c> lists, which say which tensor attributes
/// <c>module.state_dict()</c> returns. <c>constants.pkl</c> is not read: it holds constants of the code,
/// never parameters or buffers.
/// </summary>
static class TorchScriptReader
{
    /// <summary>
    /// The parameters and buffers of the archive's module tree, named as <c>module.state_dict()</c> names them
    /// (<c>visual.transformer.resblocks.0.attn.in_proj_weight</c>); the caller owns the tensors.
    /// </summary>
    /// <exception cref="UnsafePickleException">The pickle names a global outside the allow-list, or a class restores its state with code.</exception>
    /// <exception cref="InvalidDataException">The archive is damaged, exceeds a limit or holds no TorchScript module.</exception>
    public static OrderedDictionary<string, Tensor> LoadStateDict(string path, CheckpointLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = TorchCheckpointFile.Open(path, limits ?? CheckpointLimits.Default);
        if (file is not TorchZipFile { IsTorchScript: true } archive)
            throw new InvalidDataException($"{path} is not a TorchScript archive (torch.jit.save): it has no code/ or constants.pkl records");
        var root = archive.Unpickle();
        var classes = new TorchScriptClasses(archive);
        // Only the module tree's parameters and buffers are read; other tensors in the pickle are never loaded.
        var stateDict = TorchGlobals.NewDict();
        if (root is not PickledObject module || !classes.Find(module.TypeName).IsModule)
            throw new InvalidDataException($"{path}: its data.pkl holds {Describe(root)}, not a TorchScript module");
        Collect(module, "", 0);
        var resolved = TorchCheckpointReader.Materialize(archive, stateDict, out var expanded);
        return TorchCheckpointReader.ToStateDict(resolved, path, expanded);

        void Collect(PickledObject obj, string prefix, int depth)
        {
            if (depth > CheckpointLimits.MaxNestingDepth)
                throw new InvalidDataException($"{path}: its modules nest deeper than {CheckpointLimits.MaxNestingDepth} levels");
            var declaration = classes.Find(obj.TypeName);
            if (declaration.RestoresStateWithCode)
                throw new UnsafePickleException(
                    $"refused {path}: its TorchScript class {obj.TypeName} restores its state by running the archive's code " +
                    "(__setstate__), and Maple never runs code from a file; save the weights with torch.save(model.state_dict()) or as safetensors",
                    path, obj.TypeName + ".__setstate__");
            if (!declaration.IsModule)
                return; // libtorch's state_dict() does not look inside objects that are not modules
            if (obj.State is not OrderedDictionary<object, object?> attributes)
                throw new InvalidDataException($"{path}: TorchScript module {obj.TypeName} (at '{prefix}') has no attribute dict");
            foreach (var (key, value) in attributes)
            {
                if (key is not string name)
                    throw new InvalidDataException($"{path}: TorchScript module {obj.TypeName} has an attribute name that is {Describe(key)}");
                switch (value)
                {
                    case PendingTensor tensor when declaration.Parameters.Contains(name) || declaration.Buffers.Contains(name):
                        stateDict[prefix + name] = tensor;
                        break;
                    case PickledObject child:
                        Collect(child, prefix + name + ".", depth + 1);
                        break;
                }
            }
        }
    }

    static string Describe(object? value) => value is PickledObject obj ? obj.TypeName : TorchGlobals.Describe(value);
}
