using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Maple.Tokenization;

/// <summary>
/// Splits cleaned text into words as the reference CLIP tokenizer's pattern does:
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>,
/// case-insensitive, with Python's <c>regex</c> module; characters that no alternative matches
/// (white space) are skipped.
/// </summary>
/// <remarks>
/// A <see cref="RegexPreTokenizer"/> with this pattern gets every ordinary prompt right, but .NET
/// regular expressions look at UTF-16 code units: a letter or digit outside the Basic
/// Multilingual Plane (𝔘, 𠀀, 𝟏) is two surrogates, which fall in the "other" class, so
/// "a𝔘b" would split into three words instead of one and "𝟏𝟐" into one instead of two. This
/// scanner classifies whole code points instead. It also reproduces two effects of the
/// reference's case-insensitive matching: "ſ" (long s) matches the "s" of "'s" and of the
/// special tokens, and U+0345 (a combining mark whose case folding is the letter ι) is matched
/// by no alternative and so dropped.
/// </remarks>
sealed class ClipPreTokenizer : PreTokenizer
{
    const string StartOfText = "<|startoftext|>";
    const string EndOfText = "<|endoftext|>";
    const char LongS = 'ſ';
    const char CombiningYpogegrammeni = '\u0345';

    static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    enum CharClass { Letter, Number, Other, Skipped }

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        var words = new List<(int Offset, int Length)>();
        var i = 0;
        while (i < text.Length)
        {
            var rest = text[i..];
            var literal = MatchLiteral(rest);
            if (literal > 0)
            {
                words.Add((i, literal));
                i += literal;
                continue;
            }

            Rune.DecodeFromUtf16(rest, out var rune, out var length);
            var charClass = Classify(rune);
            switch (charClass)
            {
                case CharClass.Number:
                    words.Add((i, length));
                    break;
                case CharClass.Letter or CharClass.Other:
                    length = RunLength(rest, charClass);
                    words.Add((i, length));
                    break;
            }
            i += length;
        }
        return words;
    }

    // Length of the special token or contraction at the start of the text, or 0.
    static int MatchLiteral(ReadOnlySpan<char> text)
    {
        if (text[0] == '<')
        {
            if (StartsWithIgnoringCase(text, StartOfText))
                return StartOfText.Length;
            if (StartsWithIgnoringCase(text, EndOfText))
                return EndOfText.Length;
        }
        else if (text[0] == '\'')
        {
            foreach (var contraction in Contractions)
            {
                if (StartsWithIgnoringCase(text, contraction))
                    return contraction.Length;
            }
        }
        return 0;
    }

    // The text is lower-cased already; of the characters whose simple case folding is an ASCII
    // letter, only the long s survives lower-casing (the Kelvin sign becomes k).
    static bool StartsWithIgnoringCase(ReadOnlySpan<char> text, string literal)
    {
        if (text.Length < literal.Length)
            return false;
        for (var i = 0; i < literal.Length; i++)
        {
            var c = text[i];
            var expected = literal[i];
            if (char.ToLowerInvariant(c) != expected && !(expected == 's' && c == LongS))
                return false;
        }
        return true;
    }

    static int RunLength(ReadOnlySpan<char> text, CharClass charClass)
    {
        var length = 0;
        while (length < text.Length)
        {
            Rune.DecodeFromUtf16(text[length..], out var rune, out var runeLength);
            if (Classify(rune) != charClass)
                break;
            length += runeLength;
        }
        return length;
    }

    static CharClass Classify(Rune rune)
    {
        if (rune.Value == CombiningYpogegrammeni || Rune.IsWhiteSpace(rune))
            return CharClass.Skipped;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }
}
