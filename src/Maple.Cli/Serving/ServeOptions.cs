using Maple.Imaging;

namespace Maple.Cli.Serving;

/// <summary>Where <c>maple serve</c> listens and the limits it holds every request to.</summary>
/// <param name="Host">The address to bind (127.0.0.1: this machine only).</param>
/// <param name="Port">The port; 0 picks a free one.</param>
/// <param name="MaxRequestBytes">The largest request body accepted (an encoded image, or a form holding one).</param>
/// <param name="MaxImagePixels">The largest image (width × height its header declares) decoded.</param>
/// <param name="MaxBatch">The most images in one forward pass.</param>
/// <param name="QueueCapacity">The most images waiting; more are answered 503 at once.</param>
sealed record ServeOptions(
    string Host = "127.0.0.1",
    int Port = 8080,
    long MaxRequestBytes = ServeOptions.DefaultMaxRequestBytes,
    long MaxImagePixels = ImageDecoder.DefaultMaxPixels,
    int MaxBatch = 8,
    int QueueCapacity = 64)
{
    /// <summary>20 MB: a large photo.</summary>
    public const long DefaultMaxRequestBytes = 20_000_000;

    /// <summary>Classes returned when a request names no <c>top</c>.</summary>
    public const int DefaultTop = 5;
}
