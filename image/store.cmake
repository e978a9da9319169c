# The image store (skiff::image): ImageStore ties content, snapshots and the state
# database together; included from image/CMakeLists.txt after the libraries it uses.
add_library(skiff_image_gc STATIC image_gc.cc)
target_link_libraries(skiff_image_gc PUBLIC skiff_image_content)

add_library(skiff_image STATIC image_store.cc image_store_query.cc image_store_gc.cc)
target_link_libraries(skiff_image PUBLIC skiff_image_gc skiff_image_import skiff_image_registry skiff_image_unpack
                                         skiff_image_oci skiff_image_content skiff_sqlite skiff_common)
