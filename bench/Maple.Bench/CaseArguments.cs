using System.Globalization;

namespace Maple.Bench;

/// <summary>The <c>--key value</c> options a child process receives for one case.</summary>
public sealed class CaseArguments
{
    readonly Dictionary<string, string> _values;

    CaseArguments(string name, Dictionary<string, string> values)
    {
        Name = name;
        _values = values;
    }

    /// <summary>The case to run.</summary>
    public string Name { get; }

    /// <summary>Parses <c>&lt;name&gt; --key value ...</c> (the words after <c>case</c>).</summary>
    public static CaseArguments Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
            throw new ArgumentException("case: missing the case name");
        var values = new Dictionary<string, string>();
        for (var i = 1; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
                throw new ArgumentException($"case {args[0]}: expected --key value pairs, got '{args[i]}'");
            values[args[i][2..]] = args[i + 1];
        }
        return new CaseArguments(args[0], values);
    }

    /// <summary>Builds the argument list for a child process.</summary>
    public static List<string> Format(string name, IReadOnlyDictionary<string, string> values)
    {
        var args = new List<string> { "case", name };
        foreach (var (key, value) in values)
            args.AddRange([$"--{key}", value]);
        return args;
    }

    /// <summary>A string option.</summary>
    public string Get(string key) =>
        _values.TryGetValue(key, out var value) ? value : throw new ArgumentException($"case {Name}: missing --{key}");

    /// <summary>A string option with a default.</summary>
    public string Get(string key, string fallback) => _values.GetValueOrDefault(key, fallback);

    /// <summary>An integer option with a default.</summary>
    public int Int(string key, int fallback) =>
        _values.TryGetValue(key, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The backbone precision (<c>--precision fp32|bf16</c>).</summary>
    public Precision Precision => PrecisionSupport.Parse(Get("precision", "fp32"));

    /// <summary>The precision's name as figures show it (fp32, bf16).</summary>
    public string PrecisionName => PrecisionSupport.Name(Precision);

    /// <summary>libtorch's intra-op threads (<c>--threads</c>).</summary>
    public int Threads => Int("threads", 1);
}
