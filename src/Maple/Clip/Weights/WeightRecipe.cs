using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>How a checkpoint's tensors become one of our parameters.</summary>
public enum WeightTransform
{
    /// <summary>Taken as stored.</summary>
    Identity,

    /// <summary>Stored as [width, embed] and used as <c>x @ proj</c> (OpenAI); our linear layers want [embed, width].</summary>
    Transpose,

    /// <summary>Separate q, k and v projections (Hugging Face) stacked into one [3·width, ...] tensor.</summary>
    ConcatRows,
}

/// <summary>One of our parameters, the checkpoint keys it is made from, and how.</summary>
/// <param name="Target">Our parameter name (e.g. <c>visual.transformer.resblocks.0.attn.in_proj.weight</c>).</param>
/// <param name="Sources">The checkpoint keys.</param>
/// <param name="Transform">How the sources combine.</param>
public sealed record WeightRecipe(string Target, string[] Sources, WeightTransform Transform)
{
    /// <summary>A parameter taken from one key as stored.</summary>
    public static WeightRecipe Same(string target, string source) => new(target, [source], WeightTransform.Identity);

    /// <summary>The shape the recipe produces from the sources' shapes.</summary>
    public long[] ResultShape(IReadOnlyDictionary<string, long[]> shapes) => Transform switch
    {
        WeightTransform.Identity => shapes[Sources[0]],
        WeightTransform.Transpose => shapes[Sources[0]].Reverse().ToArray(),
        _ => [Sources.Sum(s => shapes[s][0]), .. shapes[Sources[0]][1..]],
    };

    /// <summary>
    /// The inverse of <see cref="Build"/>: the checkpoint tensors, by key, that rebuild <paramref name="value"/>.
    /// Stacked rows are split into equal parts (q, k and v all have the block's width). The results are
    /// new tensors the caller disposes.
    /// </summary>
    public IEnumerable<KeyValuePair<string, Tensor>> Split(Tensor value)
    {
        switch (Transform)
        {
            case WeightTransform.Identity:
                return [new(Sources[0], value.alias())];
            case WeightTransform.Transpose:
                return [new(Sources[0], value.t().contiguous())];
            default:
                if (value.shape[0] % Sources.Length != 0)
                    throw new InvalidDataException($"'{Target}' has {value.shape[0]} rows, which do not split into {Sources.Length} equal parts");
                return value.chunk(Sources.Length, 0).Select((part, i) => new KeyValuePair<string, Tensor>(Sources[i], part));
        }
    }

    /// <summary>
    /// Reads the sources into <paramref name="target"/> (contiguous, of <see cref="ResultShape"/>, any dtype): each
    /// source straight into its rows of the target where the recipe keeps rows whole, so the weights are not copied
    /// a second time on the way.
    /// </summary>
    public void BuildInto(ITensorSource source, Tensor target)
    {
        switch (Transform)
        {
            case WeightTransform.Identity:
                source.ReadInto(Sources[0], target);
                break;
            case WeightTransform.ConcatRows:
                var row = 0L;
                foreach (var name in Sources)
                {
                    var rows = source.Shapes[name][0];
                    using var part = target.narrow(0, row, rows);
                    source.ReadInto(name, part);
                    row += rows;
                }
                break;
            default:
                using (var value = Build(source))
                    target.copy_(value);
                break;
        }
    }

    /// <summary>Reads and combines the sources.</summary>
    public Tensor Build(ITensorSource source)
    {
        switch (Transform)
        {
            case WeightTransform.Identity:
                return source.Read(Sources[0]);
            case WeightTransform.Transpose:
                using (var stored = source.Read(Sources[0]))
                    return stored.t().contiguous();
            default:
                var parts = Sources.Select(source.Read).ToArray();
                try
                {
                    return cat(parts, 0);
                }
                finally
                {
                    foreach (var part in parts)
                        part.Dispose();
                }
        }
    }
}
