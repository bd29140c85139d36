using System.Globalization;
using System.Text;

namespace Maple.Clip.Checkpoints;

/// <summary>Decodes the text forms of strings that protocol 0 pickles use (STRING and UNICODE opcodes).</summary>
static class PythonLiterals
{
    /// <summary>A quoted Python 2 string literal (the STRING opcode's argument) to its bytes.</summary>
    public static byte[] UnquoteBytes(string line)
    {
        if (line.Length < 2 || line[0] != line[^1] || (line[0] != '\'' && line[0] != '"'))
            throw new InvalidDataException("the STRING opcode's argument is not quoted");
        var body = line[1..^1];
        var bytes = new List<byte>(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c != '\\')
            {
                bytes.Add(checked((byte)c));
                continue;
            }
            if (++i >= body.Length)
                throw new InvalidDataException("a STRING ends in a backslash");
            switch (body[i])
            {
                case '\\': bytes.Add((byte)'\\'); break;
                case '\'': bytes.Add((byte)'\''); break;
                case '"': bytes.Add((byte)'"'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'n': bytes.Add(10); break;
                case 'r': bytes.Add(13); break;
                case 't': bytes.Add(9); break;
                case 'v': bytes.Add(11); break;
                case '\n': break;
                case 'x':
                    bytes.Add(byte.Parse(Take(body, i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                    break;
                case >= '0' and <= '7':
                    var end = i;
                    while (end < body.Length && end < i + 3 && body[end] is >= '0' and <= '7')
                        end++;
                    bytes.Add((byte)Convert.ToInt32(body[i..end], 8));
                    i = end - 1;
                    break;
                default:
                    bytes.Add((byte)'\\');
                    bytes.Add(checked((byte)body[i]));
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Python's raw-unicode-escape codec (the UNICODE opcode): Latin-1 text with \uXXXX and \UXXXXXXXX escapes.</summary>
    public static string DecodeRawUnicodeEscape(string line)
    {
        var text = new StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length && (line[i + 1] == 'u' || line[i + 1] == 'U'))
            {
                var digits = line[i + 1] == 'u' ? 4 : 8;
                var code = int.Parse(Take(line, i + 2, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                text.Append(char.ConvertFromUtf32(code));
                i += 1 + digits;
            }
            else
            {
                text.Append(line[i]);
            }
        }
        return text.ToString();
    }

    static string Take(string text, int start, int count) =>
        start + count <= text.Length ? text.Substring(start, count) : throw new InvalidDataException("a truncated escape in a string");
}
