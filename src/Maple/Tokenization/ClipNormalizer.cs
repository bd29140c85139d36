using System.Text;
using Microsoft.ML.Tokenizers;

namespace Maple.Tokenization;

/// <summary>
/// The text clean-up of the reference CLIP tokenizer (OpenAI CLIP's <c>simple_tokenizer</c>):
/// Unicode NFC, HTML-unescape twice, strip, collapse white space to single spaces, strip,
/// lower-case, each step with Python's semantics.
/// </summary>
/// <remarks>
/// <para>
/// The reference first runs <c>ftfy.fix_text</c> with its defaults. For ordinary text that
/// amounts to NFC normalisation, which this class does (when enabled). These ftfy repairs are
/// not reproduced, so text that needs them tokenizes as written, as the reference does with
/// ftfy replaced by the identity: decoding mojibake (UTF-8 read as windows-1252 or Latin-1,
/// "cafÃ©"), with its lossy and inconsistent-UTF-8 variants, C1 controls standing for
/// windows-1252 characters and non-breaking spaces lost in such text; ftfy's own round of
/// HTML unescaping (skipped when the text contains '&lt;'), which would add a third round to
/// the reference's two; removing terminal escape sequences; expanding Latin ligatures ("ﬁ");
/// turning full-width and half-width characters into their usual forms ("ｆｕｌｌ");
/// straightening curly quotes; joining surrogate pairs written as two separate code points;
/// and removing control and other invisible characters (C0 controls but tab and line breaks,
/// the byte-order mark, tag characters). ftfy's line-break normalisation needs nothing here:
/// every line break becomes a space anyway.
/// </para>
/// <para>
/// White space follows Python too: the reference strips with <c>str.strip()</c>, whose white
/// space includes U+001C–U+001F, but collapses runs with the <c>regex</c> module's <c>\s</c>,
/// which does not; both are reproduced.
/// </para>
/// </remarks>
public sealed class ClipNormalizer : Normalizer
{
    /// <summary>Creates the normaliser.</summary>
    /// <param name="normalizeToNfc">
    /// Whether to compose the text to Unicode NFC first, as the reference's ftfy step does.
    /// Turn it off to match the reference run without ftfy.
    /// </param>
    public ClipNormalizer(bool normalizeToNfc = true) => NormalizeToNfc = normalizeToNfc;

    /// <summary>Whether the text is composed to Unicode NFC before anything else.</summary>
    public bool NormalizeToNfc { get; }

    /// <summary>Cleans <paramref name="original"/> as the reference CLIP tokenizer does.</summary>
    /// <param name="original">The text to clean.</param>
    /// <returns>The cleaned, lower-cased text.</returns>
    /// <exception cref="ArgumentException">The text holds an unpaired surrogate, which has no UTF-8 form.</exception>
    public override string Normalize(string original)
    {
        ArgumentNullException.ThrowIfNull(original);
        // The reference fails on these too, when it encodes the word to UTF-8.
        var invalid = FindUnpairedSurrogate(original);
        if (invalid >= 0)
            throw new ArgumentException($"The text holds an unpaired surrogate at index {invalid}: \"{original}\".", nameof(original));

        var text = NormalizeToNfc ? original.Normalize(NormalizationForm.FormC) : original;
        text = PythonHtml.Unescape(PythonHtml.Unescape(text));
        text = CollapseWhiteSpace(StripPythonWhiteSpace(text));
        return PythonLowerCase.ToLower(StripPythonWhiteSpace(text));
    }

    /// <summary>Cleans <paramref name="original"/> as the reference CLIP tokenizer does.</summary>
    /// <param name="original">The text to clean.</param>
    /// <returns>The cleaned, lower-cased text.</returns>
    /// <exception cref="ArgumentException">The text holds an unpaired surrogate, which has no UTF-8 form.</exception>
    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    // str.isspace(): .NET's white space plus the information separators U+001C-U+001F.
    static bool IsPythonWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    static string StripPythonWhiteSpace(string text)
    {
        var start = 0;
        while (start < text.Length && IsPythonWhiteSpace(text[start]))
            start++;
        var end = text.Length;
        while (end > start && IsPythonWhiteSpace(text[end - 1]))
            end--;
        return start == 0 && end == text.Length ? text : text[start..end];
    }

    // regex.sub(r'\s+', ' ', text): the regex module's \s is exactly .NET's char.IsWhiteSpace
    // (Unicode White_Space), all of it in the Basic Multilingual Plane.
    static string CollapseWhiteSpace(string text)
    {
        var result = new StringBuilder(text.Length);
        var inWhiteSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!inWhiteSpace)
                    result.Append(' ');
                inWhiteSpace = true;
            }
            else
            {
                result.Append(c);
                inWhiteSpace = false;
            }
        }
        return result.ToString();
    }

    static int FindUnpairedSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]))
                return i;
        }
        return -1;
    }
}
