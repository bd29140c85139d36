namespace Maple.Demo;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler at once on the reporting thread (unlike
/// <see cref="Progress{T}"/>, which posts to a synchronisation context and can reorder reports).
/// </summary>
sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
