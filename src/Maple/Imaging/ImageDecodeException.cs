namespace Maple.Imaging;

/// <summary>
/// An image file could not be read or decoded: it is missing, empty, not in a supported format, or damaged
/// (for example truncated). The message names the file and says what is wrong.
/// </summary>
public sealed class ImageDecodeException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file (or name) that failed; kept in <see cref="Path"/> and put in the message.</param>
    /// <param name="problem">What is wrong, e.g. "the file is empty".</param>
    /// <param name="inner">The underlying error, if any.</param>
    public ImageDecodeException(string path, string problem, Exception? inner = null)
        : base($"Cannot decode image '{path}': {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file path (or caller-supplied name) of the image that failed.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; }

    /// <summary>
    /// The header declares more pixels than the limit (<see cref="ImageDecoder.MaxPixels"/>): the file may be fine,
    /// and raising the limit would read it.
    /// </summary>
    public bool OverPixelLimit { get; init; }
}
