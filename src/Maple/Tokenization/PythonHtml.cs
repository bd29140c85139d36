using System.Text;
using AngleSharp.Html;

namespace Maple.Tokenization;

/// <summary>
/// Python's <c>html.unescape</c>, which the reference CLIP tokenizer applies twice.
/// </summary>
/// <remarks>
/// <see cref="System.Net.WebUtility.HtmlDecode(string)"/> is not usable here: it knows only the
/// HTML 4 entities, insists on the trailing semicolon (Python decodes <c>&amp;amp</c> and the
/// other legacy names without one, and <c>&amp;notit;</c> as <c>¬it;</c> by longest prefix),
/// and treats numeric references differently (Python maps <c>&amp;#128;</c> through the HTML
/// standard's windows-1252 table, drops <c>&amp;#1;</c> and other non-characters, and turns
/// surrogates and out-of-range numbers into U+FFFD). So the scan below follows Python's rules;
/// the entity table itself is AngleSharp's HTML5 table, which holds the same 2,231 names
/// (with and without semicolon) as Python's <c>html.entities.html5</c>.
/// </remarks>
static class PythonHtml
{
    // Python matches at most 32 name characters, counted in code points.
    const int MaxNameLength = 32;

    // The HTML standard replaces numeric references 0x80-0x9F by their windows-1252 characters
    // (the five bytes that code page leaves undefined map to themselves, as .NET's decoder does).
    static readonly Encoding Windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)
        ?? throw new InvalidOperationException("The windows-1252 code page is not available.");

    /// <summary>Replaces every character reference the way Python's <c>html.unescape</c> does.</summary>
    public static string Unescape(string text)
    {
        var amp = text.IndexOf('&');
        if (amp < 0)
            return text;

        var result = new StringBuilder(text.Length);
        var start = 0;
        while (amp >= 0)
        {
            result.Append(text, start, amp - start);
            var end = ReplaceReference(text, amp + 1, result);
            if (end < 0)
            {
                result.Append('&');
                end = amp + 1;
            }
            start = end;
            amp = text.IndexOf('&', start);
        }
        result.Append(text, start, text.Length - start);
        return result.ToString();
    }

    // Appends the replacement of the reference that starts at 'at' (just past '&') and returns
    // the index after it, or -1 when nothing there has the form of a reference.
    static int ReplaceReference(string text, int at, StringBuilder result)
    {
        if (at >= text.Length)
            return -1;
        return text[at] == '#' ? ReplaceNumeric(text, at + 1, result) : ReplaceNamed(text, at, result);
    }

    static int ReplaceNumeric(string text, int at, StringBuilder result)
    {
        var hex = at < text.Length && (text[at] == 'x' || text[at] == 'X');
        var digitsStart = hex ? at + 1 : at;
        var i = digitsStart;
        long value = 0;
        while (i < text.Length && (hex ? char.IsAsciiHexDigit(text[i]) : char.IsAsciiDigit(text[i])))
        {
            // Saturate: any number past U+10FFFF gives the same result.
            if (value <= 0x10FFFF)
                value = value * (hex ? 16 : 10) + DigitValue(text[i]);
            i++;
        }
        // "&#" or "&#x" without digits is no reference, and '#' cannot start a name either.
        if (i == digitsStart)
            return -1;
        if (i < text.Length && text[i] == ';')
            i++;
        result.Append(NumericReplacement(value));
        return i;
    }

    static int DigitValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    static string NumericReplacement(long value)
    {
        if (value == 0)
            return "\uFFFD";
        if (value == 0x0D)
            return "\r";
        if (value is >= 0x80 and <= 0x9F)
            return Windows1252.GetString([(byte)value]);
        if (value is >= 0xD800 and <= 0xDFFF || value > 0x10FFFF)
            return "\uFFFD";
        if (IsDroppedCodePoint((int)value))
            return "";
        return char.ConvertFromUtf32((int)value);
    }

    // Python's html._invalid_codepoints: controls and non-characters, which it removes.
    static bool IsDroppedCodePoint(int value) =>
        value is >= 0x01 and <= 0x08 or 0x0B or >= 0x0E and <= 0x1F or >= 0x7F and <= 0x9F
            or >= 0xFDD0 and <= 0xFDEF
        || (value & 0xFFFE) == 0xFFFE;

    static int ReplaceNamed(string text, int at, StringBuilder result)
    {
        var i = at;
        var codePoints = 0;
        while (i < text.Length && codePoints < MaxNameLength && !IsNameTerminator(text[i]))
        {
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            codePoints++;
        }
        if (i == at)
            return -1;
        if (i < text.Length && text[i] == ';')
            i++;

        var name = text[at..i];
        var resolver = HtmlEntityProvider.Resolver;
        if (resolver.GetSymbol(name) is { } symbol)
        {
            result.Append(symbol);
            return i;
        }
        // The longest prefix of at least two characters that is an entity (only the legacy names
        // without semicolon can match here) is replaced and the rest kept.
        for (var length = name.Length - 1; length >= 2; length--)
        {
            if (resolver.GetSymbol(name[..length]) is { } prefixSymbol)
            {
                result.Append(prefixSymbol).Append(name, length, name.Length - length);
                return i;
            }
        }
        result.Append('&').Append(name);
        return i;
    }

    static bool IsNameTerminator(char c) => c is '\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';';
}
