namespace Maple.Tokenization;

/// <summary>A prompt needs more tokens than the text encoder's context holds.</summary>
public sealed class PromptTooLongException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="text"/>.</summary>
    /// <param name="text">The prompt.</param>
    /// <param name="tokenCount">The tokens it needs, start and end of text included.</param>
    /// <param name="contextLength">The context length it had to fit.</param>
    public PromptTooLongException(string text, int tokenCount, int contextLength)
        : base($"The prompt \"{text}\" needs {tokenCount} tokens with start and end of text, " +
               $"more than the context length of {contextLength}. Shorten it, or tokenize with truncation.")
    {
        Text = text;
        TokenCount = tokenCount;
        ContextLength = contextLength;
    }

    /// <summary>The prompt that did not fit.</summary>
    public string Text { get; }

    /// <summary>The tokens the prompt needs, start and end of text included.</summary>
    public int TokenCount { get; }

    /// <summary>The context length the prompt had to fit.</summary>
    public int ContextLength { get; }
}
