using System.Globalization;
using System.Text;

namespace Maple.Tokenization;

/// <summary>Python's <c>str.lower()</c>, which the reference CLIP tokenizer applies to the cleaned text.</summary>
/// <remarks>
/// .NET's invariant lower-casing uses the simple case mapping; Python uses the full one, which
/// differs in two places: U+0130 (İ) becomes "i" + U+0307 rather than "İ", and a capital sigma
/// at the end of a word becomes the final form ς (Unicode's Final_Sigma condition) rather than σ.
/// Everything else is <see cref="Rune.ToLowerInvariant(Rune)"/>, checked to agree with Python on
/// every code point both assign.
/// </remarks>
static class PythonLowerCase
{
    const int CapitalSigma = 0x03A3;
    const int CapitalIWithDotAbove = 0x0130;

    /// <summary>Lower-cases <paramref name="text"/> as Python's <c>str.lower()</c> does.</summary>
    public static string ToLower(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var length);
            if (rune.Value == CapitalIWithDotAbove)
                result.Append("i\u0307");
            else if (rune.Value == CapitalSigma)
                result.Append(IsFinalSigma(text, i) ? 'ς' : 'σ');
            else
                result.Append(Rune.ToLowerInvariant(rune).ToString());
            i += length;
        }
        return result.ToString();
    }

    // Final_Sigma: a cased letter before (skipping case-ignorable characters) and none after.
    static bool IsFinalSigma(string text, int sigmaIndex)
    {
        var before = sigmaIndex;
        while (true)
        {
            if (before == 0)
                return false;
            Rune.DecodeLastFromUtf16(text.AsSpan(0, before), out var previous, out var length);
            before -= length;
            if (IsCaseIgnorable(previous))
                continue;
            if (!IsCased(previous))
                return false;
            break;
        }

        for (var after = sigmaIndex + 1; after < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(after), out var next, out var length);
            if (!IsCaseIgnorable(next))
                return !IsCased(next);
            after += length;
        }
        return true;
    }

    // Unicode's Cased property: Lowercase, Uppercase or Lt. Letters and symbols with a case
    // mapping (such as Ⓐ and ⅰ) are found through the mapping; the few Other_Lowercase and
    // Other_Uppercase characters without one are listed.
    static bool IsCased(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            || Rune.ToUpperInvariant(rune) != rune || Rune.ToLowerInvariant(rune) != rune
            || rune.Value is 0x00AA or 0x00BA // ª º
            || rune.Value is >= 0x1F130 and <= 0x1F149 or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189; // 🄰 🅐 🅰 ...
    }

    // Unicode's Case_Ignorable property: marks, format characters, modifiers, and the
    // Word_Break classes MidLetter, MidNumLet and Single_Quote.
    static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is 0x0027 or 0x002E or 0x003A or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
