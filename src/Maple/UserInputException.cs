namespace Maple;

/// <summary>
/// The input is at fault, not Maple: a file that is damaged, hostile or of the wrong kind, a setting out of
/// range, data that does not fit the model. The message is one line that names the file or setting and
/// says how to fix it; callers show it as it is, without a stack trace. Every other exception from the
/// library is a bug.
/// </summary>
public class UserInputException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line naming the file or setting at fault and the fix.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public UserInputException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
