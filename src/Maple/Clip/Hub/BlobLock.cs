namespace Maple.Clip.Hub;

/// <summary>
/// An exclusive lock on <c>.locks/models--org--name/&lt;etag&gt;.lock</c>, so two processes (this tool or Python's
/// huggingface_hub, which takes an flock on the same path) never write the same blob at once.
/// </summary>
sealed class BlobLock : IDisposable
{
    readonly FileStream stream;

    BlobLock(FileStream stream) => this.stream = stream;

    public static async Task<BlobLock> AcquireAsync(string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Unix and a share lock on Windows.
                return new BlobLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
