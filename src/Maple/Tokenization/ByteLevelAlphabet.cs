namespace Maple.Tokenization;

/// <summary>
/// The byte-level BPE alphabet (GPT-2's <c>bytes_to_unicode</c>, which CLIP uses): each byte is
/// written as one printable character, so that vocabulary entries are ordinary strings.
/// </summary>
/// <remarks>
/// Printable Latin-1 bytes stand for themselves; the other 68 bytes (controls, space, DEL, the
/// C1 range, no-break space and soft hyphen) take the characters from U+0100 on, in byte order.
/// <see cref="Microsoft.ML.Tokenizers.BpeTokenizer"/> applies the mapping when encoding but does not expose it, and
/// decoding needs its inverse.
/// </remarks>
static class ByteLevelAlphabet
{
    static readonly Dictionary<char, byte> Bytes = BuildInverse();

    /// <summary>
    /// The 256 symbols in the order CLIP's vocabulary lists them (ids 0 to 255): the bytes that stand for
    /// themselves, then the others, each group in byte order.
    /// </summary>
    public static IReadOnlyList<char> SymbolsInVocabularyOrder { get; } =
        [.. Enumerable.Range(0, 256).Where(StandsForItself).Select(b => (char)b),
         .. Enumerable.Range(0, 256).Where(b => !StandsForItself(b)).Select((_, i) => (char)(256 + i))];

    /// <summary>The byte that <paramref name="c"/> stands for, if it is in the alphabet.</summary>
    public static bool TryGetByte(char c, out byte b) => Bytes.TryGetValue(c, out b);

    static bool StandsForItself(int b) => b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';

    static Dictionary<char, byte> BuildInverse()
    {
        var inverse = new Dictionary<char, byte>(256);
        var next = 256;
        for (var b = 0; b < 256; b++)
            inverse[StandsForItself(b) ? (char)b : (char)next++] = (byte)b;
        return inverse;
    }
}
