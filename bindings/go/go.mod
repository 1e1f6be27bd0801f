module github.com/wablock/wablock/bindings/go

go 1.23
