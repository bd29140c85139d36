using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace Maple.Clip.Safetensors;

/// <summary>
/// A safetensors file: tensors are read with positioned reads straight into native tensor memory, so loading
/// never holds a second managed copy of the weights, and the file's pages never enter the process's resident
/// memory. (A memory mapping did the same at the price of its own page faults, about 7,000 for ViT-B/16.)
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    // A header this large is not a model header but a damaged or hostile file.
    const long MaxHeaderBytes = 100L << 20;

    // The CPU buffer stored tensors are converted through (see ReadInto).
    const long StagingBytes = 1L << 20;

    readonly SafeFileHandle _file;
    readonly long _dataStart;
    readonly Lock _stagingLock = new();
    torch.Tensor? _staging;

    SafetensorsFile(string path, SafeFileHandle file, long dataStart,
        Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _file = file;
        _dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The tensors in the file, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    /// <summary>The string metadata under <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Opens a file, validating the header against the file's size before anything is allocated: every tensor's
    /// bytes lie inside the file, match its dtype and shape (computed without overflow), and no two tensors share
    /// bytes, so reading them all takes at most the file's size.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is truncated, malformed or uses an unsupported dtype.</exception>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: file not found", path);
        var length = new FileInfo(path).Length;
        if (length < 8)
            throw new InvalidDataException($"{path}: not a safetensors file ({length} bytes, too short for a header)");

        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(path, file, 0, prefix);
            var headerLength = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(prefix);
            if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > length - 8)
                throw new InvalidDataException(
                    $"{path}: not a safetensors file or truncated (header length {headerLength}, file length {length})");
            var header = new byte[headerLength];
            ReadExactly(path, file, 8, header);
            var (entries, metadata) = ParseHeader(path, header, length - 8 - headerLength);
            return new SafetensorsFile(path, file, 8 + headerLength, entries, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor of this name.</summary>
    public bool Contains(string name) => Entries.ContainsKey(name);

    /// <summary>Reads a tensor into a new CPU tensor of its stored dtype.</summary>
    public torch.Tensor Read(string name)
    {
        var entry = Entries.TryGetValue(name, out var e)
            ? e
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        var tensor = torch.empty(entry.Shape, entry.DType);
        CopyInto(entry, tensor);
        return tensor;
    }

    /// <summary>
    /// Writes a stored tensor into an existing contiguous tensor of the same element count, of any dtype and on any
    /// device: a straight read for a CPU tensor of the stored dtype, else through a CPU buffer of 1 MB that libtorch
    /// converts from, piece by piece, so no second copy of the whole tensor is ever made. The buffer is kept for the
    /// file's life: a fresh one per tensor cost a page fault per 4 KB (the allocator hands large blocks back to the
    /// system), and one this small stays in cache between the read and the conversion.
    /// </summary>
    public void ReadInto(string name, torch.Tensor destination)
    {
        var entry = Entries.TryGetValue(name, out var e)
            ? e
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        if (destination.dtype == entry.DType && destination.device_type == DeviceType.CPU)
        {
            CopyInto(entry, destination);
            return;
        }
        if (destination.numel() != entry.ElementCount || !destination.is_contiguous())
            throw new InvalidDataException($"{Path}: '{entry.Name}' {entry.DType} {entry.ShapeText} cannot be copied into {destination.dtype} {SafetensorsEntry.Format(destination.shape)}");
        var elementSize = SafetensorsDTypes.Size(entry.DType);
        var pieceElements = Math.Max(1, StagingBytes / elementSize);
        lock (_stagingLock)
        {
            if (_staging?.dtype != entry.DType)
            {
                _staging?.Dispose();
                _staging = torch.empty(pieceElements, entry.DType).DetachFromDisposeScope(); // outlives the caller's scope
            }
            using var flat = destination.view(-1);
            for (long done = 0; done < entry.ElementCount; done += pieceElements)
            {
                var count = Math.Min(pieceElements, entry.ElementCount - done);
                using var staged = _staging.narrow(0, 0, count);
                CopyRange(entry, done * elementSize, staged);
                using var part = flat.narrow(0, done, count);
                part.copy_(staged);
            }
        }
    }

    /// <summary>Copies a stored tensor into an existing contiguous CPU tensor of the same dtype and element count.</summary>
    public void CopyInto(SafetensorsEntry entry, torch.Tensor destination)
    {
        if (destination.dtype != entry.DType || destination.numel() != entry.ElementCount || !destination.is_contiguous())
            throw new InvalidDataException($"{Path}: '{entry.Name}' {entry.DType} {entry.ShapeText} cannot be copied into {destination.dtype} {SafetensorsEntry.Format(destination.shape)}");
        CopyRange(entry, 0, destination);
    }

    // Copies the stored bytes of `entry` from `offset` on into the whole of the contiguous CPU tensor `destination`.
    void CopyRange(SafetensorsEntry entry, long offset, torch.Tensor destination)
    {
        var byteCount = destination.numel() * destination.ElementSize;
        if (byteCount == 0)
            return;
        if (offset < 0 || offset + byteCount > entry.End - entry.Begin)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{Path}: bytes {offset}..{offset + byteCount} lie outside '{entry.Name}'");
        var position = _dataStart + entry.Begin + offset;
        if (byteCount <= int.MaxValue)
        {
            // Tensor.bytes spans the tensor's own native storage (no copy).
            ReadExactly(Path, _file, position, destination.bytes);
            return;
        }
        // A span holds at most 2 GB: larger tensors are read through views of their elements in pieces.
        var elementSize = SafetensorsDTypes.Size(entry.DType);
        var piece = (int.MaxValue / elementSize / 2) * (long)elementSize;
        using var flat = destination.view(-1);
        for (long done = 0; done < byteCount; done += piece)
        {
            var count = Math.Min(piece, byteCount - done);
            using var part = flat.narrow(0, done / elementSize, count / elementSize);
            ReadExactly(Path, _file, position + done, part.bytes);
        }
    }

    // Fills `buffer` from `position` on; a file cut short since it was opened ends in an error naming it.
    static void ReadExactly(string path, SafeFileHandle file, long position, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var read = RandomAccess.Read(file, buffer, position);
            if (read == 0)
                throw new InvalidDataException($"{path}: the file ends at byte {position}, before the data its header declares: it was truncated, download or copy it again");
            buffer = buffer[read..];
            position += read;
        }
    }

    /// <summary>Reads every tensor.</summary>
    public Dictionary<string, torch.Tensor> ReadAll() => Entries.Keys.ToDictionary(k => k, Read);

    /// <inheritdoc />
    public void Dispose()
    {
        _file.Dispose();
        lock (_stagingLock)
            _staging?.Dispose();
    }

    static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: malformed safetensors header: {ex.Message}", ex);
        }

        using (document)
        {
            try
            {
                return ParseEntries(path, document, dataLength);
            }
            catch (InvalidOperationException ex)
            {
                // Names that are not valid UTF-8 surface only when they are read.
                throw new InvalidDataException($"{path}: malformed safetensors header: {ex.Message}", ex);
            }
        }
    }

    static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseEntries(string path, JsonDocument document, long dataLength)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: malformed safetensors header: not a JSON object");
        var entries = new Dictionary<string, SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{path}: malformed safetensors header: __metadata__ is not a JSON object");
                foreach (var m in property.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                continue;
            }
            if (!entries.TryAdd(property.Name, ParseEntry(path, property.Name, property.Value, dataLength)))
                throw new InvalidDataException($"{path}: malformed safetensors header: tensor '{property.Name}' is listed twice");
        }
        CheckNoOverlap(path, entries.Values);
        return (entries, metadata);
    }

    // Two tensors on the same bytes would let a small file make a reader allocate its size many times over.
    static void CheckNoOverlap(string path, IEnumerable<SafetensorsEntry> entries)
    {
        SafetensorsEntry? previous = null;
        foreach (var entry in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (previous is not null && entry.Begin < previous.End)
                throw new InvalidDataException(
                    $"{path}: tensors '{previous.Name}' and '{entry.Name}' share bytes {entry.Begin}..{Math.Min(entry.End, previous.End)}: the file is damaged");
            previous = entry;
        }
    }

    static SafetensorsEntry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        try
        {
            var dtypeName = value.GetProperty("dtype").GetString() ?? "";
            var dtype = SafetensorsDTypes.Parse(dtypeName)
                ?? throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtypeName}");
            var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (shape.Any(d => d < 0) || shape.Length > 64 || offsets.Length != 2)
                throw new InvalidDataException($"{path}: tensor '{name}' has a malformed shape or data_offsets");
            var entry = new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
            long expectedBytes;
            try
            {
                expectedBytes = checked(entry.ElementCount * SafetensorsDTypes.Size(dtype));
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"{path}: tensor '{name}' declares shape {entry.ShapeText}, too large to address: the file is damaged");
            }
            if (entry.Begin < 0 || entry.End < entry.Begin || entry.End > dataLength)
                throw new InvalidDataException($"{path}: tensor '{name}' lies outside the file (bytes {entry.Begin}..{entry.End} of {dataLength}): the file is truncated or damaged");
            if (entry.End - entry.Begin != expectedBytes)
                throw new InvalidDataException($"{path}: tensor '{name}' {dtypeName} {entry.ShapeText} needs {expectedBytes} bytes but the header gives {entry.End - entry.Begin}");
            return entry;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: malformed entry for tensor '{name}': {ex.Message}", ex);
        }
    }
}
