// The bytes behind a GgufFile: a read-only memory map of the file (weights are never copied), or a pinned array
// (tests and the fuzzer parse mutated files from memory).

using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Tessera.Gguf;

internal abstract unsafe class GgufMemory : IDisposable
{
    public abstract byte* Pointer { get; }
    public abstract long Length { get; }
    public abstract void Dispose();

    public static GgufMemory Map(string path)
    {
        // A link's own length is that of the path it holds; the map covers its final target (Hugging Face cache
        // snapshots are links to blobs).
        var info = new FileInfo(path);
        var length = (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) ?? info) is FileInfo target && target.Exists ? target.Length : info.Length;
        if (length == 0) return new Pinned([]);
        return new Mapped(path, length);
    }

    public static GgufMemory Pin(byte[] bytes) => new Pinned(bytes);

    private sealed class Mapped : GgufMemory
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private byte* _pointer;

        public Mapped(string path, long length)
        {
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
            try
            {
                _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _pointer);
                _pointer += _view.PointerOffset;
                Length = length;
            }
            catch
            {
                _view?.Dispose();
                _file.Dispose();
                throw;
            }
        }

        public override byte* Pointer => _pointer;
        public override long Length { get; }

        public override void Dispose()
        {
            if (_pointer == null) return;
            _pointer = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }

    private sealed class Pinned : GgufMemory
    {
        private GCHandle _handle;
        private readonly byte[] _bytes;

        public Pinned(byte[] bytes)
        {
            _bytes = bytes;
            _handle = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        }

        public override byte* Pointer => (byte*)_handle.AddrOfPinnedObject();
        public override long Length => _bytes.Length;

        public override void Dispose()
        {
            if (_handle.IsAllocated) _handle.Free();
        }
    }
}
