namespace Maple;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler at once on the reporting thread (unlike
/// <see cref="Progress{T}"/>, which posts to a synchronisation context or the thread pool and can
/// reorder reports or deliver them after the work has finished).
/// </summary>
/// <param name="handler">Called with every report.</param>
public sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => handler(value);
}
