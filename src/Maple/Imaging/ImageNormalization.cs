namespace Maple.Imaging;

/// <summary>
/// Per-channel normalisation applied after scaling bytes to [0, 1]: <c>(v / 255 - Mean[c]) / Std[c]</c>, computed in
/// single precision in that order, as torchvision's <c>ToTensor</c> + <c>Normalize</c> do.
/// </summary>
/// <param name="Mean">Per-channel mean (R, G, B).</param>
/// <param name="Std">Per-channel standard deviation (R, G, B), all non-zero.</param>
public sealed record ImageNormalization(float[] Mean, float[] Std)
{
    /// <summary>CLIP's normalisation: mean (0.48145466, 0.4578275, 0.40821073), std (0.26862954, 0.26130258, 0.27577711).</summary>
    public static ImageNormalization Clip { get; } = new(
        [0.48145466f, 0.4578275f, 0.40821073f],
        [0.26862954f, 0.26130258f, 0.27577711f]);

    /// <summary>
    /// The normalised value of every byte for every channel: entry <c>c * 256 + v</c> is
    /// <c>(v / 255f - Mean[c]) / Std[c]</c>. Used to normalise with one lookup per byte.
    /// </summary>
    /// <exception cref="ArgumentException">Mean or Std does not have three entries, or a Std entry is zero.</exception>
    public float[] BuildLookupTable()
    {
        if (Mean is not { Length: 3 } || Std is not { Length: 3 })
            throw new ArgumentException("Mean and Std must each have three entries (R, G, B).");
        var table = new float[3 * 256];
        for (var c = 0; c < 3; c++)
        {
            if (Std[c] == 0f)
                throw new ArgumentException($"Std[{c}] is zero.");
            for (var v = 0; v < 256; v++)
            {
                var x = v / 255f;
                table[c * 256 + v] = (x - Mean[c]) / Std[c];
            }
        }
        return table;
    }
}
