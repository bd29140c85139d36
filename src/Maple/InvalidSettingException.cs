using System.Globalization;

namespace Maple;

/// <summary>
/// A setting of an options record has a value it cannot take. <see cref="Setting"/> is the property's
/// name (e.g. <c>LearningRate</c>), so that a front end can name its own spelling of it (a command-line
/// flag) while the rule itself lives once, in the record's validation.
/// </summary>
public sealed class InvalidSettingException : UserInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="setting">The property at fault.</param>
    /// <param name="requirement">What the value must be, as a phrase after the name ("must be positive").</param>
    /// <param name="value">The value given.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public InvalidSettingException(string setting, string requirement, object? value, Exception? inner = null)
        : base(Describe(setting, requirement, value), inner)
    {
        Setting = setting;
        Requirement = requirement;
        Value = value;
    }

    /// <summary>The property at fault.</summary>
    public string Setting { get; }

    /// <summary>What the value must be.</summary>
    public string Requirement { get; }

    /// <summary>The value given.</summary>
    public object? Value { get; }

    /// <summary>The message with <paramref name="name"/> in place of the setting's name.</summary>
    public string MessageFor(string name) => Describe(name, Requirement, Value);

    static string Describe(string name, string requirement, object? value) =>
        string.Create(CultureInfo.InvariantCulture, $"{name} {requirement} (got {value ?? "nothing"})");
}
