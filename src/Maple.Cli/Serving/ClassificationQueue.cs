using System.Threading.Channels;

namespace Maple.Cli.Serving;

/// <summary>
/// Hands preprocessed images to the classifier from one worker: whatever has queued up while a batch ran becomes the
/// next batch (up to <see cref="MaxBatch"/>), so concurrent requests share forward passes. A full queue refuses
/// more at once rather than letting waits grow without bound. Nothing outlives its request.
/// </summary>
sealed class ClassificationQueue : IAsyncDisposable
{
    readonly IImageClassifier _classifier;
    readonly Channel<Job> _jobs;
    readonly Task _worker;
    int _pending;

    /// <summary>Starts the worker.</summary>
    /// <param name="classifier">Called by the worker only.</param>
    /// <param name="maxBatch">The most images in one forward pass.</param>
    /// <param name="capacity">The most images waiting; beyond it <see cref="TryClassify"/> refuses.</param>
    public ClassificationQueue(IImageClassifier classifier, int maxBatch, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _classifier = classifier;
        MaxBatch = maxBatch;
        Capacity = capacity;
        _jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The most images in one forward pass.</summary>
    public int MaxBatch { get; }

    /// <summary>The most images waiting.</summary>
    public int Capacity { get; }

    /// <summary>Images queued or running now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Told the size of every batch before it runs (tests observe the batching).</summary>
    internal Action<int>? BatchStarting { get; set; }

    /// <summary>
    /// The logits [classes] of one normalised CHW image, or null at once when <see cref="Capacity"/> images are
    /// already waiting.
    /// </summary>
    public Task<float[]>? TryClassify(float[] pixels, CancellationToken cancellation)
    {
        if (Interlocked.Increment(ref _pending) > Capacity)
        {
            Interlocked.Decrement(ref _pending);
            return null;
        }
        var job = new Job(pixels, new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously), cancellation);
        if (!_jobs.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _pending);
            throw new ObjectDisposedException(nameof(ClassificationQueue));
        }
        return job.Result.Task;
    }

    async Task RunAsync()
    {
        var batch = new List<Job>(MaxBatch);
        while (await _jobs.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _jobs.Reader.TryRead(out var job))
            {
                if (job.Cancellation.IsCancellationRequested)
                {
                    // The client went away while waiting: no work for it.
                    Interlocked.Decrement(ref _pending);
                    job.Result.TrySetCanceled(job.Cancellation);
                    continue;
                }
                batch.Add(job);
            }
            if (batch.Count > 0)
                Run(batch);
        }
    }

    void Run(List<Job> batch)
    {
        try
        {
            BatchStarting?.Invoke(batch.Count);
            var imageFloats = batch[0].Pixels.Length;
            var pixels = new float[imageFloats * batch.Count];
            for (var i = 0; i < batch.Count; i++)
                batch[i].Pixels.CopyTo(pixels, i * imageFloats);
            var logits = _classifier.Logits(pixels, batch.Count);
            var classes = logits.Length / batch.Count;
            for (var i = 0; i < batch.Count; i++)
                batch[i].Result.TrySetResult(logits.AsSpan(i * classes, classes).ToArray());
        }
        catch (Exception ex)
        {
            foreach (var job in batch)
                job.Result.TrySetException(ex);
        }
        finally
        {
            Interlocked.Add(ref _pending, -batch.Count);
        }
    }

    /// <summary>Stops taking images, finishes those queued and waits for the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        _jobs.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }

    sealed record Job(float[] Pixels, TaskCompletionSource<float[]> Result, CancellationToken Cancellation);
}
