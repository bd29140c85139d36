using System.Collections;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Maple.Cli;

/// <summary>
/// <c>--help</c> and the usage line of errors, written here rather than by System.CommandLine: the program is
/// <c>maple</c> whatever the executable is called, defaults read as a user types them (<c>1 2 3</c>, none where
/// the description already says what applies), deprecated spellings stay out of sight, and a command may add a
/// section of its own (train's per-preset defaults).
/// </summary>
sealed class HelpText : SynchronousCommandLineAction
{
    static readonly ConditionalWeakTable<Command, Func<string>> Sections = [];

    /// <summary>The text of a parse error goes with the usage line, not the whole help.</summary>
    public override bool ClearsParseErrors => true;

    /// <summary>Makes <c>-h/--help</c> of <paramref name="root"/> and every command under it print this help.</summary>
    public static void Install(RootCommand root)
    {
        foreach (var option in root.Options.OfType<HelpOption>())
            option.Action = new HelpText();
    }

    /// <summary>Adds a section, written after the options, to the help of <paramref name="command"/>.</summary>
    public static void AddSection(Command command, Func<string> section) => Sections.AddOrUpdate(command, section);

    public override int Invoke(ParseResult parseResult)
    {
        var output = parseResult.InvocationConfiguration.Output;
        output.Write(Write(parseResult.CommandResult.Command, Width()));
        return 0;
    }

    /// <summary>"maple train" for <paramref name="command"/>.</summary>
    public static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c is RootCommand ? "maple" : c.Name);
        return string.Join(" ", names);
    }

    /// <summary>One line: the command, its required options, <c>[options]</c> and its arguments.</summary>
    public static string Usage(Command command)
    {
        var parts = new List<string> { CommandPath(command) };
        if (command.Subcommands.Any(c => !c.Hidden))
            parts.Add(command.Action is null ? "<command>" : "[command]");
        foreach (var option in VisibleOptions(command).Where(o => o.Required))
            parts.Add($"{option.Name} {ValueName(option)}");
        if (VisibleOptions(command).Any(o => !o.Required))
            parts.Add("[options]");
        foreach (var argument in command.Arguments.Where(a => !a.Hidden))
        {
            var name = $"<{argument.Name}>" + (argument.Arity.MaximumNumberOfValues > 1 ? "..." : "");
            parts.Add(argument.Arity.MinimumNumberOfValues == 0 ? $"[{name}]" : name);
        }
        return string.Join(" ", parts);
    }

    /// <summary>The whole help of <paramref name="command"/>, wrapped to <paramref name="width"/> columns.</summary>
    public static string Write(Command command, int width)
    {
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(command.Description))
            text.Append(Wrap(command.Description, width, 0)).AppendLine();
        text.AppendLine().AppendLine("Usage:").Append(Wrap(Usage(command), width, 2)).AppendLine();

        var arguments = command.Arguments.Where(a => !a.Hidden).Select(a => (Name: $"<{a.Name}>", Text: a.Description ?? "")).ToList();
        if (arguments.Count > 0)
            Table(text.AppendLine().AppendLine("Arguments:"), arguments, width);

        var options = VisibleOptions(command).Select(o => (Name: OptionName(o), Text: OptionText(o))).ToList();
        if (options.Count > 0)
            Table(text.AppendLine().AppendLine("Options:"), options, width);

        var subcommands = command.Subcommands.Where(c => !c.Hidden).Select(c => (Name: c.Name, Text: c.Description ?? "")).ToList();
        if (subcommands.Count > 0)
            Table(text.AppendLine().AppendLine("Commands:"), subcommands, width);

        if (Sections.TryGetValue(command, out var section))
            text.AppendLine().Append(section());
        return text.ToString();
    }

    /// <summary>The columns help is wrapped to: <c>COLUMNS</c>, else the terminal's width, else 100 (piped).</summary>
    static int Width()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var columns) && columns > 0)
            return Math.Max(columns, 40);
        try
        {
            if (!Console.IsOutputRedirected && Console.WindowWidth > 0)
                return Math.Max(Console.WindowWidth, 40);
        }
        catch (IOException)
        {
        }
        return 100;
    }

    // The options of the command and those it inherits (help), in the order they were added.
    static IEnumerable<Option> VisibleOptions(Command command) =>
        command.Options.Concat(command.Parents.OfType<Command>().SelectMany(Ancestors).SelectMany(c => c.Options).Where(o => o.Recursive))
            .Where(o => !o.Hidden).Distinct();

    static IEnumerable<Command> Ancestors(Command command) =>
        new[] { command }.Concat(command.Parents.OfType<Command>().SelectMany(Ancestors));

    static string OptionName(Option option)
    {
        // Windows' /h and /? and the -? of help are left to be found: two spellings are enough to read.
        var spellings = option.Aliases.Where(a => !DeprecatedSpellings.IsDeprecated(option, a) && a[0] == '-' && a != "-?").Append(option.Name)
            .Distinct().OrderBy(a => a.StartsWith("--", StringComparison.Ordinal) ? 1 : 0).ThenBy(a => a.Length);
        var name = string.Join(", ", spellings);
        return IsSwitch(option) ? name : $"{name} {ValueName(option)}";
    }

    /// <summary>A flag that is on when given (<c>--resume</c>): it shows no value and no default.</summary>
    static bool IsSwitch(Option option) => option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool);

    static string ValueName(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        type = type.IsArray ? type.GetElementType()! : type;
        var name = option.HelpName ?? (type == typeof(int) || type == typeof(long) ? "n" : type == typeof(double) ? "x" : option.Name.TrimStart('-'));
        return $"<{name}>" + (option.Arity.MaximumNumberOfValues > 1 && option.AllowMultipleArgumentsPerToken ? "..." : "");
    }

    static string OptionText(Option option)
    {
        var text = option.Description ?? "";
        if (option.Required)
            text = "(required) " + text;
        return DefaultText(option) is { } shown ? $"{text} [default: {shown}]" : text;
    }

    /// <summary>The default as typed on the command line; null when there is none to show or the description says it.</summary>
    static string? DefaultText(Option option)
    {
        if (!option.HasDefaultValue || IsSwitch(option) || option is HelpOption)
            return null;
        if ((option.Description ?? "").Contains("default", StringComparison.OrdinalIgnoreCase))
            return null;
        return option.GetDefaultValue() switch
        {
            null => null,
            string s => s.Length == 0 ? "\"\"" : s.Contains(' ', StringComparison.Ordinal) ? $"\"{s}\"" : s,
            IEnumerable values => string.Join(" ", values.Cast<object>().Select(Format)),
            var value => Format(value),
        };
    }

    static string Format(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Two columns: names, then descriptions wrapped beside them (or below a name too long for the column).</summary>
    static void Table(StringBuilder text, IReadOnlyList<(string Name, string Text)> rows, int width)
    {
        const int indent = 2;
        var column = Math.Min(rows.Max(r => r.Name.Length), Math.Max(16, width / 3)) + indent + 2;
        foreach (var (name, description) in rows)
        {
            var head = new string(' ', indent) + name;
            if (head.Length + 2 > column)
            {
                text.AppendLine(head);
                head = "";
            }
            var body = Wrap(description, width, column);
            text.Append(head.PadRight(column)).Append(body.TrimStart()).AppendLine();
        }
    }

    /// <summary>Word-wraps <paramref name="text"/> to <paramref name="width"/>, every line indented by <paramref name="indent"/>.</summary>
    static string Wrap(string text, int width, int indent)
    {
        var room = Math.Max(20, width - indent);
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > room)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0)
                line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        var pad = new string(' ', indent);
        return string.Join(Environment.NewLine, lines.Select(l => pad + l));
    }
}
