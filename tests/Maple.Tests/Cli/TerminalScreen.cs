using System.Text;

namespace Maple.Tests.Cli;

/// <summary>
/// What a terminal of a fixed width shows after receiving some output: the rows (scrolled-off ones kept), and
/// every place where text ran past the last column and wrapped onto the next row. Interprets what programs use to
/// redraw a line: carriage return, newline, backspace, cursor movement (CSI A/B/C/D/G/H), erasing (CSI K/J) and
/// ignores colours and modes (CSI m, CSI ? h/l), like an xterm with auto-wrap.
/// </summary>
sealed class TerminalScreen
{
    readonly int _columns;
    readonly List<StringBuilder> _rows = [new()];
    int _row;
    int _column;
    bool _pendingWrap;

    public TerminalScreen(int columns) => _columns = columns;

    /// <summary>Rows where a line wrapped, each with the text that wrapped.</summary>
    public List<string> Wraps { get; } = [];

    /// <summary>The rows, trailing spaces removed.</summary>
    public IReadOnlyList<string> Rows => _rows.Select(r => r.ToString().TrimEnd()).ToList();

    public static TerminalScreen Show(string output, int columns)
    {
        var screen = new TerminalScreen(columns);
        screen.Feed(output);
        return screen;
    }

    public void Feed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\r':
                    (_column, _pendingWrap) = (0, false);
                    break;
                case '\n':
                    NewRow();
                    _pendingWrap = false;
                    break;
                case '\b':
                    (_column, _pendingWrap) = (Math.Max(0, _column - 1), false);
                    break;
                case '\u001b':
                    i = Escape(text, i);
                    break;
                case '\a':
                    break;
                default:
                    Put(c);
                    break;
            }
        }
    }

    void Put(char c)
    {
        if (_pendingWrap)
        {
            Wraps.Add(_rows[_row].ToString());
            NewRow();
            (_column, _pendingWrap) = (0, false);
        }
        var row = _rows[_row];
        while (row.Length <= _column)
            row.Append(' ');
        row[_column] = c;
        if (_column == _columns - 1)
            _pendingWrap = true;
        else
            _column++;
    }

    void NewRow()
    {
        _row++;
        while (_rows.Count <= _row)
            _rows.Add(new StringBuilder());
    }

    /// <summary>Interprets the escape sequence at <paramref name="start"/>; returns the index of its last character.</summary>
    int Escape(string text, int start)
    {
        if (start + 1 >= text.Length)
            return start;
        if (text[start + 1] != '[')
            return start + 1; // a two-character sequence (ESC 7, ESC 8, ...): nothing to draw
        var end = start + 2;
        while (end < text.Length && (text[end] < '@' || text[end] > '~'))
            end++;
        if (end >= text.Length)
            return text.Length - 1;
        var parameters = text[(start + 2)..end];
        if (parameters.StartsWith('?'))
            return end;
        var numbers = parameters.Split(';').Select(p => int.TryParse(p, out var n) ? n : 0).ToArray();
        int At(int k, int otherwise) => k < numbers.Length && numbers[k] > 0 ? numbers[k] : otherwise;
        switch (text[end])
        {
            case 'A':
                _row = Math.Max(0, _row - At(0, 1));
                _pendingWrap = false;
                break;
            case 'B':
                for (var k = 0; k < At(0, 1); k++)
                    NewRow();
                _pendingWrap = false;
                break;
            case 'C':
                (_column, _pendingWrap) = (Math.Min(_columns - 1, _column + At(0, 1)), false);
                break;
            case 'D':
                (_column, _pendingWrap) = (Math.Max(0, _column - At(0, 1)), false);
                break;
            case 'G':
                (_column, _pendingWrap) = (Math.Min(_columns - 1, At(0, 1) - 1), false);
                break;
            case 'K':
                var row = _rows[_row];
                var mode = numbers.Length > 0 ? numbers[0] : 0;
                if (mode == 0 && row.Length > _column)
                    row.Length = _column;
                else if (mode == 1)
                    for (var k = 0; k <= Math.Min(_column, row.Length - 1); k++)
                        row[k] = ' ';
                else if (mode == 2)
                    row.Clear();
                break;
            case 'J':
                if (numbers.Length == 0 || numbers[0] == 0)
                {
                    if (_rows[_row].Length > _column)
                        _rows[_row].Length = _column;
                    _rows.RemoveRange(_row + 1, _rows.Count - _row - 1);
                }
                break;
        }
        return end;
    }
}
