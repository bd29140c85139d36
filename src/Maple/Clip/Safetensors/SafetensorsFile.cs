using System.IO.MemoryMappedFiles;
using System.Text.Json;
using TorchSharp;

namespace Maple.Clip.Safetensors;

/// <summary>
/// A safetensors file opened memory-mapped: tensors are copied straight from the mapping into
/// native tensor memory, so loading never holds a second managed copy of the weights. Each tensor is
/// mapped only while it is copied, so the file's pages do not stay in the process's resident memory
/// beside the tensors made from them.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    // A header this large is not a model header but a damaged or hostile file.
    const long MaxHeaderBytes = 100L << 20;

    readonly MemoryMappedFile _map;
    readonly long _dataStart;

    SafetensorsFile(string path, MemoryMappedFile map, long dataStart,
        Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
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

    /// <summary>Opens a file, validating the header against the file's size before anything is allocated.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, malformed or uses an unsupported dtype.</exception>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: file not found", path);
        var length = new FileInfo(path).Length;
        if (length < 8)
            throw new InvalidDataException($"{path}: not a safetensors file ({length} bytes, too short for a header)");

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            long headerLength;
            using (var prefix = map.CreateViewAccessor(0, 8, MemoryMappedFileAccess.Read))
                headerLength = prefix.ReadInt64(0);
            if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > length - 8)
                throw new InvalidDataException(
                    $"{path}: not a safetensors file or truncated (header length {headerLength}, file length {length})");
            var header = new byte[headerLength];
            using (var view = map.CreateViewAccessor(8, headerLength, MemoryMappedFileAccess.Read))
                view.ReadArray(0, header, 0, header.Length);
            var (entries, metadata) = ParseHeader(path, header, length - 8 - headerLength);
            return new SafetensorsFile(path, map, 8 + headerLength, entries, metadata);
        }
        catch
        {
            map.Dispose();
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

    /// <summary>Copies a stored tensor into an existing contiguous CPU tensor of the same dtype and element count.</summary>
    public unsafe void CopyInto(SafetensorsEntry entry, torch.Tensor destination)
    {
        if (destination.dtype != entry.DType || destination.numel() != entry.ElementCount || !destination.is_contiguous())
            throw new InvalidDataException($"{Path}: '{entry.Name}' {entry.DType} {entry.ShapeText} cannot be copied into {destination.dtype} {SafetensorsEntry.Format(destination.shape)}");
        var byteCount = entry.End - entry.Begin;
        if (byteCount == 0)
            return;
        using var view = _map.CreateViewAccessor(_dataStart + entry.Begin, byteCount, MemoryMappedFileAccess.Read);
        byte* basePointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
        try
        {
            // Tensor.bytes spans the tensor's own native storage (no copy), so this is one memcpy.
            new ReadOnlySpan<byte>(basePointer + view.PointerOffset, checked((int)byteCount)).CopyTo(destination.bytes);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>Reads every tensor.</summary>
    public Dictionary<string, torch.Tensor> ReadAll() => Entries.Keys.ToDictionary(k => k, Read);

    /// <inheritdoc />
    public void Dispose() => _map.Dispose();

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
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: malformed safetensors header: not a JSON object");
            var entries = new Dictionary<string, SafetensorsEntry>();
            var metadata = new Dictionary<string, string>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                entries[property.Name] = ParseEntry(path, property.Name, property.Value, dataLength);
            }
            return (entries, metadata);
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
            if (shape.Any(d => d < 0) || offsets.Length != 2)
                throw new InvalidDataException($"{path}: tensor '{name}' has a malformed shape or data_offsets");
            var entry = new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
            var expectedBytes = entry.ElementCount * SafetensorsDTypes.Size(dtype);
            if (entry.Begin < 0 || entry.End < entry.Begin || entry.End > dataLength)
                throw new InvalidDataException($"{path}: tensor '{name}' lies outside the file (bytes {entry.Begin}..{entry.End} of {dataLength}): the file is truncated or damaged");
            if (entry.End - entry.Begin != expectedBytes)
                throw new InvalidDataException($"{path}: tensor '{name}' {dtypeName} {entry.ShapeText} needs {expectedBytes} bytes but the header gives {entry.End - entry.Begin}");
            return entry;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed entry for tensor '{name}': {ex.Message}", ex);
        }
    }
}
