# The image store (skiff::image): ImageStore ties content, snapshots and the state
# database together; included from image/CMakeLists.txt after the libraries it uses.
add_library(skiff_image_gc STATIC image_gc.cc)
target_link_libraries(skiff_image_gc PUBLIC skiff_image_content)
